//! Helpers the integration tests share.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The binary, run from the repository root, never for more than five minutes.
pub fn dmnoti() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("dmnoti").unwrap();
    c.current_dir(ROOT).timeout(Duration::from_secs(300));
    c
}

/// A fresh directory for one test, removed when the test ends (`DMNOTI_KEEP_TEST_DIRS=1` keeps it
/// for inspection). It derefs to its path.
pub struct TestDir(Option<tempfile::TempDir>, PathBuf);

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.1
    }
}

impl AsRef<std::path::Path> for TestDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.1
    }
}

pub fn tempdir(tag: &str) -> TestDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("dmnoti-test-{tag}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().to_path_buf();
    if std::env::var_os("DMNOTI_KEEP_TEST_DIRS").is_some() {
        let _ = dir.keep();
        return TestDir(None, path);
    }
    TestDir(Some(dir), path)
}

/// An outside tool a test needs. Such a test is `#[ignore]`d with its reason, so that `cargo test`
/// (nothing but cargo) reports it as ignored, never as a pass; `.ci/run` installs the tool and
/// runs the ignored tests, where a missing tool is a failure.
pub fn require(tool: &str) {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        found,
        "{tool} is required by this test but is not installed"
    );
}

/// A `claims:` block saying true for `claimed` and false for every other optional item of the role,
/// from the catalog itself.
pub fn claims_yaml(role: dmnoti::scr::Role, claimed: &[&str]) -> String {
    let catalog = dmnoti::scr::Catalog::builtin();
    let mut out = String::from("claims:\n");
    for item in catalog
        .role(role)
        .filter(|i| i.status == dmnoti::scr::Status::Optional)
    {
        out.push_str(&format!(
            "  {}: {}\n",
            item.id,
            claimed.iter().any(|c| item.id.contains(c))
        ));
    }
    out
}

/// `dmnoti run --iut PROFILE --reports DIR` and `extra` arguments: (exit code, stdout, stderr).
pub fn run_iut(
    profile: &std::path::Path,
    reports: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let mut args = vec![
        "run",
        "--iut",
        profile.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = dmnoti().args(&args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An outside program that is killed when dropped, so that a failed assertion leaves none behind.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port free on loopback now, for UDP and TCP alike (for a peer that must be told one before
/// it starts; the SIP element binds both).
pub fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
