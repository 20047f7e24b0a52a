//! Speed, memory, size and quality of the pipeline against libvips and libjpeg-turbo, on the
//! same generated 12 MP camera-like JPEGs, in one run, on one core.
//!
//! `cargo bench -p hazardsnap-photo --bench pipeline` (env `PHOTO_BENCH_N`, default 6 photos;
//! `PHOTO_BENCH_RUNS`, default 5). The process pins itself and its children to CPU 0, so
//! multithreaded decoders (ours, vips) get one core like the measurements.
//!
//! Wall-clock ratios are only as good as the machine is quiet: on a box shared with other
//! builds, a compile landing on CPU 0 during one tool's turn moves its ratio by 30 %. So the
//! CPU time of each side is measured too (ours: process CPU clock; vips and djpeg: the
//! children's rusage, process start included) and its ratios printed beside the wall ones.

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hazardsnap_photo::{PipelineConfig, process, process_profiled};

/// Counts live heap bytes and their peak, so that peak memory of one `process` call is exact.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn pin_to_cpu0() {
    #[cfg(target_os = "linux")]
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// CPU time (user + system) used so far by this process, all threads.
fn cpu_self() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time (user + system) of all waited-for children so far.
fn cpu_children() -> Duration {
    // SAFETY: zeroed rusage is a valid out value for getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
        || Command::new("which")
            .arg(tool)
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Generates (or reuses) the photo set: 4000×3000, textured and noisy, camera-quality JPEG.
fn photos(dir: &Path, n: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("bench dir");
    (0..n)
        .map(|i| {
            let path = dir.join(format!("photo{i}.jpg"));
            if !path.exists() {
                let wd = common::world(1000 + i as u64, 4200, 3150);
                let v = common::view(&wd, 4000, 3000, 0.5, 0.5, 1.0, 0.0, 7.0, 0.0, i as u64);
                let exif = common::exif_blob(if i % 3 == 2 { 6 } else { 1 }, Some((36.8, 117.87)));
                std::fs::write(&path, common::jpeg(&v, 94, Some(&exif), false)).expect("write");
            }
            path
        })
        .collect()
}

fn luma_of(rgb: &[u8]) -> Vec<f64> {
    rgb.chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect()
}

fn psnr(a: &[f64], b: &[f64]) -> f64 {
    let mse = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-12)).log10()
}

fn decode_full(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .expect("decode")
        .into_rgb8()
}

/// Reference: the full-resolution source resized with Lanczos3 straight to the output size
/// (orientation applied with the `image` crate's own rotations).
fn reference_luma(src: &[u8], orientation: u8, w: u32, h: u32) -> Vec<f64> {
    use fast_image_resize as fr;
    let mut full = decode_full(src);
    full = match orientation {
        6 => image::imageops::rotate90(&full),
        8 => image::imageops::rotate270(&full),
        3 => image::imageops::rotate180(&full),
        _ => full,
    };
    let (fw, fh) = full.dimensions();
    let src_img =
        fr::images::Image::from_vec_u8(fw, fh, full.into_raw(), fr::PixelType::U8x3).expect("img");
    let mut dst = fr::images::Image::new(w, h, fr::PixelType::U8x3);
    fr::Resizer::new()
        .resize(
            &src_img,
            &mut dst,
            &fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3)),
        )
        .expect("resize");
    luma_of(dst.buffer())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    pin_to_cpu0();
    let n = env_usize("PHOTO_BENCH_N", 6);
    let runs = env_usize("PHOTO_BENCH_RUNS", 5);
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    // Absolute, because vipsthumbnail resolves `-o` relative to each input's folder.
    let dir = std::path::absolute(PathBuf::from(target).join("photo-bench"))
        .expect("absolute bench folder");
    let files = photos(&dir, n);
    let inputs: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    let cfg = PipelineConfig::default();
    let sizes: Vec<usize> = inputs.iter().map(Vec::len).collect();
    println!(
        "photos: {n} × 4000×3000 JPEG, {:.1}–{:.1} MB; {runs} runs; pinned to CPU 0",
        *sizes.iter().min().unwrap_or(&0) as f64 / 1e6,
        *sizes.iter().max().unwrap_or(&0) as f64 / 1e6
    );

    // Ours: median per photo, then median over photos; stage medians too.
    let mut per_photo = Vec::new();
    let mut per_photo_cpu = Vec::new();
    let mut stage_sums: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut outputs = Vec::new();
    for input in &inputs {
        let mut times = Vec::new();
        let mut cpu_times = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let c = cpu_self();
            let t = Instant::now();
            let (out, stages) = process_profiled(input, &cfg).expect("process");
            times.push(t.elapsed());
            cpu_times.push(cpu_self() - c);
            for (i, (name, d)) in stages.into_iter().enumerate() {
                if stage_sums.len() <= i {
                    stage_sums.push((name, Vec::new()));
                }
                stage_sums[i].1.push(d);
            }
            last = Some(out);
        }
        per_photo.push(median(times));
        per_photo_cpu.push(median(cpu_times));
        outputs.push(last.expect("ran"));
    }
    let ours = median(per_photo.clone());
    let ours_cpu = median(per_photo_cpu);

    // Peak heap of one call, input excluded.
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = process(&inputs[0], &cfg).expect("process");
    let peak = PEAK.load(Ordering::Relaxed) - base;
    drop(out);

    // vipsthumbnail over the whole batch in one call, like the measurement.
    let vips_dir = dir.join("vips-out");
    let _ = std::fs::create_dir_all(&vips_dir);
    let vips = if have("vipsthumbnail") {
        let (mut t, mut c) = (Vec::new(), Vec::new());
        for _ in 0..runs.min(3) {
            let c0 = cpu_children();
            let start = Instant::now();
            let st = Command::new("vipsthumbnail")
                .env("VIPS_CONCURRENCY", "1")
                .args(["-s", "1920", "-o"])
                .arg(format!("{}/%s.jpg[Q=80,strip]", vips_dir.display()))
                .args(&files)
                .status()
                .expect("vipsthumbnail");
            assert!(st.success());
            t.push(start.elapsed() / n as u32);
            c.push((cpu_children() - c0) / n as u32);
        }
        Some((median(t), median(c)))
    } else {
        println!("SKIPPED vipsthumbnail: apt-get install libvips-tools");
        None
    };
    let djpeg = if have("djpeg") {
        let (mut t, mut c) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            for f in &files {
                let c0 = cpu_children();
                let start = Instant::now();
                let st = Command::new("djpeg")
                    .args(["-scale", "1/8", "-outfile", "/dev/null"])
                    .arg(f)
                    .status()
                    .expect("djpeg");
                assert!(st.success());
                t.push(start.elapsed());
                c.push(cpu_children() - c0);
            }
        }
        Some((median(t), median(c)))
    } else {
        println!("SKIPPED djpeg: apt-get install libjpeg-turbo-progs");
        None
    };

    println!("\n== time per 12 MP photo (median, one core) ==");
    println!("hazardsnap-photo process   {:8.1} ms", ms(ours));
    for (name, d) in &stage_sums {
        println!("  stage {:<20} {:8.1} ms", name, ms(median(d.clone())));
    }
    if let Some((v, _)) = vips {
        println!(
            "vipsthumbnail -s 1920      {:8.1} ms   ratio ours/vips  = {:.2} (goal ≤ 0.5)",
            ms(v),
            ms(ours) / ms(v)
        );
    }
    if let Some((d, _)) = djpeg {
        println!(
            "djpeg -scale 1/8           {:8.1} ms   ratio ours/djpeg = {:.2} (goal ≤ 2.0)",
            ms(d),
            ms(ours) / ms(d)
        );
    }
    println!("\n== CPU time per 12 MP photo (median; robust to other load on the machine) ==");
    println!("hazardsnap-photo process   {:8.1} ms", ms(ours_cpu));
    if let Some((_, v)) = vips {
        println!(
            "vipsthumbnail -s 1920      {:8.1} ms   ratio ours/vips  = {:.2} (goal ≤ 0.5)",
            ms(v),
            ms(ours_cpu) / ms(v)
        );
    }
    if let Some((_, d)) = djpeg {
        println!(
            "djpeg -scale 1/8           {:8.1} ms   ratio ours/djpeg = {:.2} (goal ≤ 2.0)",
            ms(d),
            ms(ours_cpu) / ms(d)
        );
    }
    println!("\n== memory ==");
    println!(
        "peak heap of one process() call: {:.1} MB (goal < 40 MB)",
        peak as f64 / 1e6
    );

    println!("\n== stored size and quality ==");
    let mut size_ratios = Vec::new();
    for (i, (file, out)) in files.iter().zip(&outputs).enumerate() {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let vips_out = std::fs::read(vips_dir.join(format!("{stem}.jpg"))).ok();
        let ref_luma = reference_luma(&inputs[i], out.metadata.orientation, out.width, out.height);
        let ours_luma = luma_of(decode_full(&out.stored).as_raw());
        let ours_psnr = psnr(&ours_luma, &ref_luma);
        let (vips_len, vips_psnr) = match &vips_out {
            Some(v) => {
                let img = decode_full(v);
                let p = if img.dimensions() == (out.width, out.height) {
                    format!("{:.2} dB", psnr(&luma_of(img.as_raw()), &ref_luma))
                } else {
                    format!("(size {}×{})", img.width(), img.height())
                };
                size_ratios.push(out.stored.len() as f64 / v.len() as f64);
                (v.len().to_string(), p)
            }
            None => ("-".into(), "-".into()),
        };
        println!(
            "{stem}: input {:.2} MB → {}×{} ours {} B ({:.2} dB luma PSNR), vips {} B ({}), thumb {} B",
            inputs[i].len() as f64 / 1e6,
            out.width,
            out.height,
            out.stored.len(),
            ours_psnr,
            vips_len,
            vips_psnr,
            out.thumbnail.len()
        );
    }
    if !size_ratios.is_empty() {
        let mean = size_ratios.iter().sum::<f64>() / size_ratios.len() as f64;
        println!("stored size ours/vips: mean {:.3} (goal within ±5 %)", mean);
    }
}
