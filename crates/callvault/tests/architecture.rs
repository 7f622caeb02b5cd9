//! The invariants of ARCHITECTURE.md that a machine can check, read off the
//! workspace's own sources and manifests: which crate may depend on which,
//! that the sans-IO crates read no clock and open no socket, and that
//! `anyhow` stays in the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The workspace's crates by directory, with the callvault crates each
/// names under `[dependencies]` (dev-dependencies are free).
fn workspace() -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
        let table: toml::Table = manifest.parse().unwrap();
        let deps = table
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|d| d.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        out.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), deps);
    }
    out
}

/// A crate's non-test Rust source: each file cut at its first
/// `#[cfg(test)]` (the tests below it may use the clock).
fn sources(krate: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![crates_dir().join(krate).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_owned();
                out.push((path, code));
            }
        }
    }
    out
}

/// Layers, lowest first: a crate may depend only on crates of lower layers
/// (and `afpacket`, which knows nothing of callvault, from any edge).
const LAYERS: &[&[&str]] = &[
    &["model", "afpacket"],
    &["probe", "rtp", "sip"],
    &["media", "capture", "store"],
    &["vault"],
    &["siprec", "capture-driver", "delivery", "storage", "assurance"],
    &["api"],
    &["callvault"],
];

fn layer_of(krate: &str) -> usize {
    LAYERS.iter().position(|l| l.contains(&krate)).unwrap_or_else(|| {
        panic!("crate {krate} is in no layer: add it to LAYERS and ARCHITECTURE.md")
    })
}

#[test]
fn dependencies_point_down_the_layers() {
    let ws = workspace();
    assert!(ws.len() >= 13, "{ws:?}");
    let mut wrong = Vec::new();
    for (krate, deps) in &ws {
        let own = layer_of(krate);
        for dep in deps.iter().filter_map(|d| d.strip_prefix("callvault-")) {
            if layer_of(dep) >= own {
                wrong.push(format!("{krate} -> {dep}"));
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies against the layering: {wrong:?}");
}

#[test]
fn sans_io_crates_read_no_clock_and_open_no_socket() {
    const SANS_IO: &[&str] = &["model", "probe", "rtp", "sip", "media", "capture"];
    const FORBIDDEN: &[&str] = &[
        "Instant::now",
        "SystemTime::now",
        "Utc::now",
        "Local::now",
        "UdpSocket",
        "TcpStream",
        "TcpListener",
        "tokio::",
        "thread::spawn",
    ];
    let ws = workspace();
    let mut found = Vec::new();
    for krate in SANS_IO {
        if ws[*krate].iter().any(|d| d == "tokio") {
            found.push(format!("{krate}: depends on tokio"));
        }
        for (path, code) in sources(krate) {
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for word in FORBIDDEN {
                    if line.contains(word) {
                        found.push(format!("{}:{}: {word}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "clock or I/O in a sans-IO crate: {found:#?}");
}

#[test]
fn anyhow_only_in_the_binary() {
    let ws = workspace();
    let mut found = Vec::new();
    for krate in ws.keys().filter(|k| *k != "callvault") {
        if ws[krate].iter().any(|d| d == "anyhow") {
            found.push(format!("{krate}/Cargo.toml"));
        }
        for (path, code) in sources(krate) {
            if code.contains("anyhow") {
                found.push(path.display().to_string());
            }
        }
    }
    assert!(found.is_empty(), "anyhow outside the binary: {found:?}");
}
