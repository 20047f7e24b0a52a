/*
 * Whose SQLite does the app get? The core bundles its own SQLite (rusqlite `bundled`); an iOS
 * app links the system's libsqlite3 (directly or through a pod). Linked as a plain static
 * library, the core's copy would take over every sqlite3_* call of the app, or collide with
 * another static copy. ios/build-xcframework.sh therefore pre-links the core into one object
 * whose only global symbols are the FFI's (the list made from the generated header), and
 * tests/swift-abi/run.sh does the same here with GNU ld and objcopy.
 *
 * This program calls sqlite3_libversion() as an app would, and the core through its FFI. run.sh
 * links it twice and passes the version the app must see: the bundled one for the plain
 * archive (the clash, shown), the system's for the pre-linked object (the fix). Prints
 * "sqlite: N passed, N failed".
 */
#include <stdio.h>
#include <string.h>

#include "hazardsnap_coreFFI.h"

const char *sqlite3_libversion(void);

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXPECTED_VERSION WHAT\n", argv[0]);
        return 2;
    }
    int passed = 0, failed = 0;
    const char *seen = sqlite3_libversion();
    if (strcmp(seen, argv[1]) == 0) {
        printf("%s: the program's sqlite3_libversion() is %s, as expected\n", argv[2], seen);
        passed++;
    } else {
        fprintf(stderr, "%s: the program's sqlite3_libversion() is %s, expected %s\n", argv[2], seen, argv[1]);
        failed++;
    }
    RustCallStatus status;
    memset(&status, 0, sizeof status);
    RustBuffer v = uniffi_hazardsnap_core_fn_func_core_version(&status);
    if (status.code == 0 && v.len > 0) {
        passed++;
    } else {
        failed++;
    }
    ffi_hazardsnap_core_rustbuffer_free(v, &status);
    printf("sqlite: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
