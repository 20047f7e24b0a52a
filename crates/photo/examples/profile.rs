//! Prints per-stage timings of `process` on one file (a developer's tool, not a test).
fn main() {
    let path = std::env::args().nth(1).expect("usage: profile FILE");
    let bytes = std::fs::read(path).expect("read");
    let cfg = hazardsnap_photo::PipelineConfig::default();
    for _ in 0..3 {
        match hazardsnap_photo::process_profiled(&bytes, &cfg) {
            Ok((out, stages)) => {
                let total: std::time::Duration = stages.iter().map(|s| s.1).sum();
                println!(
                    "{}x{} {} bytes total {:?} {:?}",
                    out.width,
                    out.height,
                    out.stored.len(),
                    total,
                    stages
                );
            }
            Err(e) => println!("{e}"),
        }
    }
}
