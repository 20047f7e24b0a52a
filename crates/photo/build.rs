//! Build script of the photo pipeline: says loudly when libjpeg-turbo was built without SIMD.
//!
//! On x86 and x86_64, libjpeg-turbo's SIMD code is assembled by `nasm`. Without `nasm` on the
//! `PATH`, `mozjpeg-sys` quietly falls back to plain C and capture becomes about 1.6× slower;
//! its own warning is hidden because cargo shows no warnings of registry crates. This script
//! reads what `mozjpeg-sys` actually built (the `jconfig.h` it wrote, found through the
//! `DEP_JPEG_INCLUDE` that its `links = "jpeg"` exports) and turns a missing `WITH_SIMD` into a
//! warning of this crate, which cargo prints on every build. ARM builds take NEON from the C
//! compiler and need no `nasm`: there the script checks nothing.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Only the libjpeg-turbo backend (feature `turbo`) has SIMD to lose.
    if env::var_os("CARGO_FEATURE_TURBO").is_none() {
        return;
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch != "x86_64" && arch != "x86" {
        return;
    }
    let Some(include) = env::var_os("DEP_JPEG_INCLUDE") else {
        return;
    };
    let Some(jconfig) = env::split_paths(&include)
        .map(|dir| dir.join("jconfig.h"))
        .find(|p: &PathBuf| p.is_file())
    else {
        return;
    };
    println!("cargo:rerun-if-changed={}", jconfig.display());
    let text = std::fs::read_to_string(&jconfig).unwrap_or_default();
    if !text.contains("#define WITH_SIMD 1") {
        println!(
            "cargo:warning=libjpeg-turbo was built WITHOUT SIMD because `nasm` was not found: \
             capture is about 1.6x slower. Install it (apt-get install nasm / brew install nasm), \
             then rebuild it with `cargo clean -p mozjpeg-sys`. \
             (libjpeg-turbo 未启用 SIMD：缺少 nasm，拍照处理约慢 1.6 倍。)"
        );
    }
}
