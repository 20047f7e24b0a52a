/*
 * The Swift bindings' view of the library, checked from C (no Swift toolchain here).
 *
 * HazardsnapCore.swift refuses to start unless the library answers the contract version and
 * every API checksum it was generated with. run.sh reads those expected values out of the
 * committed Swift file into expected.inc, and lists every function the committed C header
 * declares into symbols.inc. This program, compiled against that header and linked with the
 * static library the XCFramework is made of, then checks: the contract version, each
 * checksum, that every declared function exists (taking its address makes the link fail
 * otherwise), and one real call through the FFI (core_version) with its buffer freed.
 *
 * It prints "swift-abi: N passed, N failed" and exits non-zero on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hazardsnap_coreFFI.h"

struct checksum {
    const char *name;
    uint16_t (*fn)(void);
    uint16_t expected;
};

/* { "name", name, expected }, ... from the Swift file; EXPECTED_CONTRACT too. */
#include "expected.inc"

/* Every function of the header, so that a missing one fails the link. */
static void *const declared[] = {
#include "symbols.inc"
};

int main(void) {
    int passed = 0, failed = 0;
    uint32_t contract = ffi_hazardsnap_core_uniffi_contract_version();
    if (contract == EXPECTED_CONTRACT) {
        passed++;
    } else {
        fprintf(stderr, "contract version: library %u, Swift bindings expect %u\n", contract, EXPECTED_CONTRACT);
        failed++;
    }
    for (size_t i = 0; i < sizeof checksums / sizeof checksums[0]; i++) {
        uint16_t got = checksums[i].fn();
        if (got == checksums[i].expected) {
            passed++;
        } else {
            fprintf(stderr, "%s: library %u, Swift bindings expect %u\n", checksums[i].name, got, checksums[i].expected);
            failed++;
        }
    }
    size_t missing = 0;
    for (size_t i = 0; i < sizeof declared / sizeof declared[0]; i++) {
        if (declared[i] == NULL) missing++;
    }
    if (missing == 0) {
        passed++;
    } else {
        fprintf(stderr, "%zu declared functions resolved to NULL\n", missing);
        failed++;
    }

    RustCallStatus status;
    memset(&status, 0, sizeof status);
    RustBuffer version = uniffi_hazardsnap_core_fn_func_core_version(&status);
    if (status.code == 0 && version.len > 0 && version.len < 64) {
        printf("core_version through the FFI: %.*s\n", (int)version.len, (const char *)version.data);
        passed++;
    } else {
        fprintf(stderr, "core_version failed: status %d, len %llu\n", status.code, (unsigned long long)version.len);
        failed++;
    }
    ffi_hazardsnap_core_rustbuffer_free(version, &status);

    printf("%zu checksums, %zu declared functions\n", sizeof checksums / sizeof checksums[0],
           sizeof declared / sizeof declared[0]);
    printf("swift-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
