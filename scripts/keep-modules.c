
/*
 * Linked into the nginx of make test-asan only (scripts/asan.sh): a
 * dlclose() that keeps every module loaded.  nginx unloads its dynamic
 * modules when its last cycle's pool goes, just before exit(), and
 * LeakSanitizer, which names a leak's frames at exit, can then no longer
 * name the module's.  The executable's dlclose() comes first for every
 * caller, nginx's ngx_dlclose() included.
 */


int dlclose(void *handle);


int
dlclose(void *handle)
{
    (void) handle;

    return 0;
}
