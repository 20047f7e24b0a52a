//! The server the phone-side tests sync against: the real `hazardsnap-server` in this process,
//! on a loopback port, with the demo roster (enrollment code `E001-JOIN-DEMO`).

use std::path::Path;

use hazardsnap_server::org::{DEMO_ROSTER, import_roster_text};
use hazardsnap_server::{Config, Server};

/// Starts a server on `dir` after `tune` adjusted its configuration; answers its base URL and
/// the sender that stops it (dropping the sender stops it too).
pub async fn server(
    dir: &Path,
    tune: impl FnOnce(&mut Config),
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut config = Config {
        data_dir: dir.to_owned(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::new()
    };
    tune(&mut config);
    let server = Server::bind(config).await.expect("bind server");
    import_roster_text(&server.state().ledger, DEMO_ROSTER)
        .await
        .expect("import roster");
    let url = format!("http://{}", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    (url, tx)
}
