//! The C fast path (`turbo` feature): JPEG decoding with libjpeg-turbo's SIMD code, as vendored
//! and built by `mozjpeg-sys` through the `cc` crate with the platform's own compiler (NEON
//! intrinsics on Android/iOS ARM, NASM on x86 when installed, plain C otherwise).
//!
//! libjpeg reports fatal errors through a callback that must not return; here it unwinds
//! (`C-unwind`, without the panic hook, so nothing is printed) back to a `catch_unwind` that
//! turns it into a [`PhotoError`]. Warnings (recoverable corruption) are counted, not printed.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use mozjpeg_sys as j;

use crate::PhotoError;
use crate::probe::Probe;
use crate::raster::{Raster, cmyk_to_rgb};

/// Carries libjpeg's message from the error callback to `catch_unwind`.
struct Failure(String);

unsafe extern "C-unwind" fn error_exit(cinfo: &mut j::jpeg_common_struct) {
    // The code, not libjpeg's formatted text: its formatter writes through a shared reference.
    // SAFETY: `err` points at our boxed error manager for the whole life of `cinfo`.
    let code = unsafe { (*cinfo.err).msg_code };
    resume_unwind(Box::new(Failure(format!("libjpeg error {code}"))));
}

unsafe extern "C-unwind" fn silent(_cinfo: &mut j::jpeg_common_struct) {}

struct Decompress {
    cinfo: j::jpeg_decompress_struct,
    _err: Box<j::jpeg_error_mgr>,
}

impl Drop for Decompress {
    fn drop(&mut self) {
        // SAFETY: created by jpeg_create_decompress; destroy is valid in any state, and an
        // unwind out of it is caught and ignored.
        let cinfo = &mut self.cinfo;
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
            j::jpeg_destroy_decompress(cinfo)
        }));
    }
}

/// Decodes at the smallest scale M/8 whose longest side still covers `min_side`.
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    probe: &Probe,
    min_side: u32,
) -> Result<Raster, PhotoError> {
    let result = catch_unwind(AssertUnwindSafe(|| unsafe {
        decode_unchecked(bytes, probe, min_side)
    }));
    match result {
        Ok(r) => r,
        Err(payload) => match payload.downcast::<Failure>() {
            Ok(f) => Err(PhotoError::Corrupt(f.0)),
            Err(_) => Err(PhotoError::Internal),
        },
    }
}

unsafe fn decode_unchecked(
    bytes: &[u8],
    probe: &Probe,
    min_side: u32,
) -> Result<Raster, PhotoError> {
    let len = std::ffi::c_ulong::try_from(bytes.len()).map_err(|_| PhotoError::TooLarge {
        bytes: bytes.len(),
        max: std::ffi::c_ulong::MAX as usize,
    })?;
    // SAFETY: zeroed structs are libjpeg's documented starting state before jpeg_std_error and
    // jpeg_create_decompress; the error manager is boxed so its address stays fixed.
    let mut d = Decompress {
        cinfo: unsafe { std::mem::zeroed() },
        _err: Box::new(unsafe { std::mem::zeroed() }),
    };
    unsafe {
        j::jpeg_std_error(&mut d._err);
        d._err.error_exit = Some(error_exit);
        d._err.output_message = Some(silent);
        d.cinfo.common.err = &mut *d._err;
        j::jpeg_create_decompress(&mut d.cinfo);
        j::jpeg_mem_src(&mut d.cinfo, bytes.as_ptr(), len);
        j::jpeg_read_header(&mut d.cinfo, 1);
    }
    let c = &mut d.cinfo;
    if (c.image_width, c.image_height) != (probe.width, probe.height) {
        return Err(PhotoError::Corrupt("header dimensions disagree".into()));
    }
    let longest = probe.width.max(probe.height);
    let m = (1..=8u32)
        .find(|m| longest * m / 8 >= min_side.min(longest))
        .unwrap_or(8);
    c.scale_num = m;
    c.scale_denom = 8;
    c.dct_method = j::J_DCT_METHOD::JDCT_ISLOW;
    let (channels, cmyk) = match c.jpeg_color_space {
        j::J_COLOR_SPACE::JCS_GRAYSCALE => (1u8, false),
        j::J_COLOR_SPACE::JCS_CMYK | j::J_COLOR_SPACE::JCS_YCCK => (4, true),
        _ => (3, false),
    };
    c.out_color_space = match channels {
        1 => j::J_COLOR_SPACE::JCS_GRAYSCALE,
        4 => j::J_COLOR_SPACE::JCS_CMYK,
        _ => j::J_COLOR_SPACE::JCS_RGB,
    };
    unsafe { j::jpeg_start_decompress(c) };
    let (w, h) = (c.output_width as usize, c.output_height as usize);
    if c.output_components as usize != usize::from(channels) {
        return Err(PhotoError::Unsupported);
    }
    let stride = w * usize::from(channels);
    let len = stride * h;
    // Not zeroed: libjpeg writes every byte of every row, and the length is set only once all
    // rows are in. Zeroing 9 MB first cost ~1 ms of memset per photo.
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let base = out.as_mut_ptr();
    while (c.output_scanline as usize) < h {
        let row = c.output_scanline as usize;
        let mut rows: [*mut u8; 4] = [std::ptr::null_mut(); 4];
        let n = (h - row).min(4);
        for (i, r) in rows.iter_mut().enumerate().take(n) {
            // SAFETY: row + i < h, so the row lies within the capacity of `out`.
            *r = unsafe { base.add((row + i) * stride) };
        }
        let got = unsafe { j::jpeg_read_scanlines(c, rows.as_mut_ptr(), n as u32) };
        if got == 0 {
            return Err(PhotoError::Truncated);
        }
    }
    // SAFETY: all h rows of `stride` bytes were written by jpeg_read_scanlines above.
    unsafe { out.set_len(len) };
    unsafe { j::jpeg_finish_decompress(c) };
    if cmyk {
        // libjpeg returns Adobe CMYK as stored (inverted); the converter expects ink amounts.
        out.iter_mut().for_each(|v| *v = 255 - *v);
        return Raster::new(w as u32, h as u32, 3, cmyk_to_rgb(&out));
    }
    Raster::new(w as u32, h as u32, channels, out)
}

struct Compress {
    cinfo: j::jpeg_compress_struct,
    err: Box<j::jpeg_error_mgr>,
    buf: *mut u8,
    len: std::ffi::c_ulong,
}

impl Drop for Compress {
    fn drop(&mut self) {
        let cinfo = &mut self.cinfo;
        // SAFETY: created by jpeg_create_compress; destroy is valid in any state.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
            j::jpeg_destroy_compress(cinfo)
        }));
        if !self.buf.is_null() {
            // SAFETY: jpeg_mem_dest allocates the output with malloc and leaves freeing to us.
            unsafe { libc::free(self.buf.cast()) };
        }
    }
}

/// Encodes with libjpeg-turbo's defaults (baseline, standard Huffman tables, 4:2:0 below
/// quality 90, as libvips writes), no metadata segments other than JFIF.
pub(crate) fn encode(img: &Raster, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let r = catch_unwind(AssertUnwindSafe(|| unsafe {
        encode_unchecked(img, quality)
    }));
    match r {
        Ok(v) => Ok(v),
        Err(payload) => match payload.downcast::<Failure>() {
            Ok(f) => Err(PhotoError::Corrupt(format!("encode: {}", f.0))),
            Err(_) => Err(PhotoError::Internal),
        },
    }
}

unsafe fn encode_unchecked(img: &Raster, quality: u8) -> Vec<u8> {
    let mut c = Compress {
        cinfo: unsafe { std::mem::zeroed() },
        err: Box::new(unsafe { std::mem::zeroed() }),
        buf: std::ptr::null_mut(),
        len: 0,
    };
    let grey = img.channels == 1;
    unsafe {
        j::jpeg_std_error(&mut c.err);
        c.err.error_exit = Some(error_exit);
        c.err.output_message = Some(silent);
        c.cinfo.common.err = &mut *c.err;
        j::jpeg_create_compress(&mut c.cinfo);
        j::jpeg_mem_dest(&mut c.cinfo, &mut c.buf, &mut c.len);
        c.cinfo.image_width = img.width;
        c.cinfo.image_height = img.height;
        c.cinfo.input_components = if grey { 1 } else { 3 };
        c.cinfo.in_color_space = if grey {
            j::J_COLOR_SPACE::JCS_GRAYSCALE
        } else {
            j::J_COLOR_SPACE::JCS_RGB
        };
        // mozjpeg's own defaults (trellis, progressive) are 5–10× slower; JCP_FASTEST gives
        // plain libjpeg-turbo behaviour.
        j::jpeg_c_set_int_param(
            &mut c.cinfo,
            j::J_INT_PARAM::JINT_COMPRESS_PROFILE,
            j::JINT_COMPRESS_PROFILE_VALUE::JCP_FASTEST as i32,
        );
        j::jpeg_set_defaults(&mut c.cinfo);
        // mozjpeg picks its own quantisation tables; the JPEG standard's (Annex K) are what
        // libjpeg-turbo and libvips use, so sizes and quality stay comparable.
        j::jpeg_c_set_int_param(&mut c.cinfo, j::J_INT_PARAM::JINT_BASE_QUANT_TBL_IDX, 0);
        j::jpeg_set_quality(&mut c.cinfo, i32::from(quality.clamp(1, 100)), 1);
        if quality >= 90 && !grey {
            for comp in 0..3 {
                let ci = &mut *c.cinfo.comp_info.add(comp);
                ci.h_samp_factor = 1;
                ci.v_samp_factor = 1;
            }
        }
        c.cinfo.write_JFIF_header = 1;
        j::jpeg_start_compress(&mut c.cinfo, 1);
        let stride = img.width as usize * usize::from(img.channels);
        while (c.cinfo.next_scanline as usize) < img.height as usize {
            let row = c.cinfo.next_scanline as usize;
            let ptrs: [*const u8; 1] = [img.data[row * stride..].as_ptr()];
            j::jpeg_write_scanlines(&mut c.cinfo, ptrs.as_ptr(), 1);
        }
        j::jpeg_finish_compress(&mut c.cinfo);
        std::slice::from_raw_parts(c.buf, c.len as usize).to_vec()
    }
}
