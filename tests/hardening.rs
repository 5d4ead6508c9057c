//! The hardening attacks, through the binary with real child processes: testees that hang, fork
//! and get cancelled leave no process behind (checked in the OS's process list), and a SIGTERM
//! stops a run within a second with its reports written.

mod common;
use common::{claims_yaml, dmnoti, run_iut, tempdir};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Processes whose command line contains `marker` (from /proc).
fn processes_with(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .chars()
                        .all(|c| c.is_ascii_digit())
                })
                .filter(|e| {
                    std::fs::read(e.path().join("cmdline"))
                        .map(|c| {
                            String::from_utf8_lossy(&c)
                                .replace('\0', " ")
                                .contains(marker)
                        })
                        .unwrap_or(false)
                })
                .count()
        })
        .unwrap_or(0)
}

/// Waits up to a second for the processes with `marker` to be gone; how many are left.
fn left_after_a_moment(marker: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let n = processes_with(marker);
        if n == 0 || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn profile(dir: &Path, script: &str) -> PathBuf {
    let p = dir.join("testee.yaml");
    std::fs::write(
        &p,
        format!(
            "name: t\nrole: client\ncommand: sh\nargs: [\"-c\", {}]\n{}",
            serde_json::to_string(script).unwrap(),
            claims_yaml(dmnoti::scr::Role::Client, &[])
        ),
    )
    .unwrap();
    p
}

#[test]
fn a_testee_and_what_it_forks_die_with_its_case() {
    let dir = tempdir("orphans");
    // A shell that never answers, with a child of its own; and one that forks five.
    for (marker, script) in [
        ("7123.25", "sleep 7123.25; true"),
        (
            "7124.25",
            "for i in 1 2 3 4 5; do sleep 7124.25 & done; wait",
        ),
    ] {
        let (code, _, _) = run_iut(
            &profile(&dir, script),
            &dir,
            &["--case", "client.6.6.valid", "--timeout-ms", "200"],
        );
        assert_ne!(code, Some(0));
        assert_eq!(left_after_a_moment(marker), 0, "orphans of {script:?}");
    }
}

#[test]
fn sigterm_stops_a_run_within_a_second_and_writes_partial_reports() {
    let dir = tempdir("sigterm");
    let testee = profile(&dir, "sleep 7125.25");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dmnoti"))
        .args([
            "run",
            "--iut",
            testee.to_str().unwrap(),
            "--timeout-ms",
            "30000",
            "--reports",
            dir.to_str().unwrap(),
        ])
        .current_dir(common::ROOT)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until its testees have started.
    let started = Instant::now();
    while processes_with("7125.25") == 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, took) = sigterm(&mut child, Duration::from_secs(3));
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    assert_eq!(left_after_a_moment("7125.25"), 0);
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("name=\"interrupted\""), "{junit}");
    let md = std::fs::read_to_string(dir.join("coverage.md")).unwrap();
    assert!(md.contains("**Interrupted**"), "{md}");
}

fn run_one(dir: &Path, script: &str, filter: &str) -> (Option<i32>, String) {
    let (code, out, err) = run_iut(
        &profile(dir, script),
        dir,
        &["--filter", filter, "--timeout-ms", "500"],
    );
    (code, out + &err)
}

/// Answers hello as a client, then every request with `answer`.
fn shim(answer: &str) -> String {
    format!(
        "read l; echo '{{\"id\":1,\"ok\":true,\"role\":\"client\",\"protocol\":1}}'; while read l; do echo '{answer}'; done"
    )
}

#[test]
fn answers_with_a_null_or_wrong_id_are_protocol_errors_not_passes() {
    let dir = tempdir("ids");
    for answer in [
        r#"{"id":null,"outcome":"ignored","reason":"x"}"#,
        r#"{"id":99,"outcome":"ignored","reason":"x"}"#,
    ] {
        let (code, out) = run_one(&dir, &shim(answer), "client.6.6.flip-digest-bit");
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("0 passed"), "{out}");
        assert!(out.contains("protocol error: the answer's id is"), "{out}");
    }
}

#[test]
fn a_testee_of_another_protocol_version_is_refused_by_name() {
    let dir = tempdir("protocol");
    let (code, out) = run_one(
        &dir,
        r#"read l; echo '{"id":1,"ok":true,"role":"client","protocol":2}'; sleep 5"#,
        "client.6.6.valid",
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("speaks protocol 2"), "{out}");
}

#[test]
fn filters_and_arguments_that_select_nothing_are_bad_input() {
    for args in [
        &["run", "--filter", "no.such.case"][..],
        &["run", "--case", "client.6.6.nope"],
        &["run", "--jobs", "0"],
        &["run", "--timeout-ms", "0"],
        &["run", "--pcap", "/tmp/dmnoti-never.pcap"],
        &["run", "--reports", "/proc/dmnoti/no"],
    ] {
        let out = dmnoti().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.trim()
                .lines()
                .filter(|l| l.starts_with("error"))
                .count(),
            1,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_iut_that_will_not_start_ends_the_run_once_with_its_stderr() {
    let dir = tempdir("unstartable");
    let (code, out) = run_one(
        &dir,
        "echo 'fatal: config missing (boom-7126)' >&2; exit 3",
        "client.",
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("did not start for 3 cases in a row"), "{out}");
    assert!(out.contains("boom-7126"), "the stderr tail: {out}");
    assert!(out.matches("ERROR ").count() <= 6, "{out}");
    // The reports were still written.
    assert!(dir.join("junit.xml").is_file());
}

#[test]
fn the_stderr_tail_survives_a_flood() {
    let dir = tempdir("flood");
    let (code, out) = run_one(
        &dir,
        "head -c 20000000 /dev/zero | tr '\\0' x >&2; echo >&2; echo 'LAST-LINE-7127' >&2; exit 3",
        "client.",
    );
    assert_eq!(code, Some(2), "{}", &out[..out.len().min(2000)]);
    assert!(
        out.contains("LAST-LINE-7127"),
        "{}",
        &out[out.len().saturating_sub(2000)..]
    );
}

#[test]
fn message_commands_say_what_is_wrong_with_their_input_once() {
    let big_dir = tempdir("big");
    let big = big_dir.join("big.bin");
    std::fs::write(&big, vec![0u8; (1 << 20) + 1]).unwrap();
    let big = big.to_str().unwrap().to_owned();
    let long_id = "a".repeat(300);
    let v12 = "ECE403CDE6BFD11780D5185040EC301202D800000030390453637473";
    for (args, says) in [
        (vec!["decode", "/nonexistent/file.bin"], "no such file"),
        (vec!["decode", "/tmp"], "is a directory"),
        (vec!["decode", "/dev/null"], "the input is empty"),
        (vec!["decode", big.as_str()], "larger than 1048576 bytes"),
        (
            vec!["decode", v12, "--password", "SimpleClient"],
            "--password needs --nonce",
        ),
        (
            vec!["decode", v12, "--secret", "k"],
            "--secret is the 1.3 key",
        ),
        (
            vec!["encode", "--server-id", long_id.as_str(), "--secret", "k"],
            "--nonconformant",
        ),
        (
            vec!["vectors", "check", "--dir", "/nonexistent"],
            "cannot read",
        ),
    ] {
        let out = dmnoti().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        // Said once, not twice.
        let first = err.find(": ").map_or("", |i| &err[i + 2..]);
        assert!(
            first.len() < 12 || err.matches(&first[..12]).count() == 1,
            "{args:?}: {err}"
        );
    }
    // Wrong on purpose is allowed when asked for.
    let out = dmnoti()
        .args([
            "encode",
            "--server-id",
            &long_id,
            "--secret",
            "k",
            "--nonconformant",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// Answers hello, then every request with `ignored` and a reason full of terminal and HTML
/// escapes, under the request's own id.
const HOSTILE: &str = r#"read l; echo '{"id":1,"ok":true,"role":"client","protocol":1}'; while read l; do id=$(printf '%s' "$l" | sed 's/^{"id":\([0-9]*\).*/\1/'); printf '{"id":%s,"outcome":"ignored","reason":"\\u001b]0;pwned\\u0007\\u001b[31m<script>alert(1)</script>|**x**"}\n' "$id"; done"#;

#[test]
fn text_from_an_iut_is_escaped_for_terminals_and_markdown() {
    let dir = tempdir("escapes");
    let (code, out) = run_one(&dir, HOSTILE, "client.6.6.valid");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("alert(1)"), "the reason is shown: {out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("\\x1b]0;pwned\\x07"), "{out}");
    let md = std::fs::read_to_string(dir.join("coverage.md")).unwrap();
    assert!(!md.contains("<script>") && !md.contains('\u{1b}'), "{md}");
    assert!(md.contains("\\<script\\>"), "{md}");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        !junit.contains('\u{1b}'),
        "no control characters in the XML"
    );
}

#[test]
fn a_fixed_listener_address_with_several_workers_is_refused_up_front() {
    let dir = tempdir("fixed");
    let p = dir.join("device.yaml");
    std::fs::write(
        &p,
        format!(
            "name: d\nrole: client\nadapter: udp\naddress: udp://127.0.0.1:9\ndm_server: 127.0.0.1:29999\n{}",
            claims_yaml(dmnoti::scr::Role::Client, &["C-020"])
        ),
    )
    .unwrap();
    let (code, _, err) = run_iut(&p, &dir, &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("127.0.0.1:29999") && err.contains("--jobs 1"),
        "{err}"
    );
}

/// The harness's SIP element against peers that flood it or never read: a TCP peer pipelining
/// requests it never reads the answers to does not hold the element's stop (it took 46 s and
/// blocked SIGTERM); REGISTERs for more addresses of record than the table holds are answered 503
/// and counted, and a queue nobody reads stops growing; a request with two Content-Lengths or a
/// NUL gets a 400 naming the rule.
#[test]
fn the_sip_element_is_bounded_against_hostile_peers() {
    use dmnoti::adapter::sip::SipElement;
    use std::io::{Read, Write};
    let element = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let at = element.addr;
    // A peer that never reads: 20,000 pipelined OPTIONS, their answers left unread.
    let mut peer = std::net::TcpStream::connect(at).unwrap();
    let options = "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let flood = options.repeat(200);
    let writer = std::thread::spawn(move || {
        for _ in 0..100 {
            if peer.write_all(flood.as_bytes()).is_err() {
                break;
            }
        }
        peer
    });
    std::thread::sleep(Duration::from_millis(300));
    // REGISTERs from 1,100 addresses of record over UDP, nobody reading the queue.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut refused = 0;
    let mut buf = [0u8; 2048];
    for n in 0..1100 {
        let register = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{n}\r\nFrom: <sip:d{n}@lab>;tag=1\r\nTo: <sip:d{n}@lab>\r\nCall-ID: r{n}\r\nCSeq: 1 REGISTER\r\nContact: <sip:d{n}@127.0.0.1:9>\r\nContent-Length: 0\r\n\r\n"
        );
        udp.send_to(register.as_bytes(), at).unwrap();
        let (len, _) = udp.recv_from(&mut buf).unwrap();
        if buf[..len].starts_with(b"SIP/2.0 503") {
            refused += 1;
        }
    }
    assert_eq!(
        refused,
        1100 - 1024,
        "the table holds 1,024 addresses of record"
    );
    assert!(
        element.dropped() >= refused + (1100 - 1024),
        "{}",
        element.dropped()
    );
    // Two Content-Lengths, and a NUL: 400 naming the rule, on a connection of its own.
    for bad in [
        options.replace(
            "Content-Length: 0\r\n",
            "Content-Length: 0\r\nContent-Length: 5\r\n",
        ),
        options.replace("Call-ID: c", "Call-ID: c\0x"),
    ] {
        let mut s = std::net::TcpStream::connect(at).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        s.write_all(bad.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(
            answer.starts_with("SIP/2.0 400 Bad Request (bad-header)"),
            "{answer:?}"
        );
    }
    // The stop does not wait on the peer that never reads.
    stops_within(Duration::from_secs(3), move || drop(element));
    drop(writer.join().unwrap());
}

/// The harness's SMSC against a peer that sends enquire_links without end and never reads the
/// answers: its stop does not wait on that peer (a one-case run took 26 s).
#[test]
fn the_smsc_stops_whatever_a_peer_does() {
    use dmnoti::adapter::smpp::Smsc;
    use std::io::Write;
    let smsc = Smsc::start("127.0.0.1:0".parse().unwrap(), None, None).unwrap();
    let mut peer = std::net::TcpStream::connect(smsc.addr).unwrap();
    peer.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let enquire_link = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1];
    let storm = enquire_link.repeat(10_000);
    // Until the SMSC stops reading: its answers fill the buffers and its own write blocks.
    let blocked = (0..400).any(|_| peer.write_all(&storm).is_err());
    assert!(
        blocked,
        "the SMSC never stopped reading: the test proves nothing"
    );
    stops_within(Duration::from_secs(3), move || drop(smsc));
    drop(peer);
}

/// SIGTERM while a case waits on a silent device with a 10 s step timeout (UDP, and SIP whose
/// MESSAGE is retransmitted to nobody): the run stops at once, the case in progress is an error
/// saying it was interrupted, and the reports are written (it took 8.5 s over UDP and 28.5 s over
/// SIP, past a CI runner's SIGKILL).
#[test]
fn a_signal_stops_a_run_waiting_on_a_silent_device() {
    for adapter in ["udp", "sip"] {
        let dir = tempdir(&format!("silent-{adapter}"));
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let address = match adapter {
            "udp" => format!("udp://127.0.0.1:{port}"),
            _ => format!("sip:device@127.0.0.1:{port}"),
        };
        let p = dir.join("silent.yaml");
        std::fs::write(
            &p,
            format!(
                "name: silent\nrole: client\nadapter: {adapter}\naddress: \"{address}\"\nparameters:\n  step_timeout_ms: 10000\n"
            ),
        )
        .unwrap();
        let reports = dir.join("r");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dmnoti"))
            .args(["run", "--assume-unclaimed", "--iut"])
            .arg(&p)
            .arg("--reports")
            .arg(&reports)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Until a case waits on the device: its first push has reached the silent socket.
        silent
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        silent
            .recv_from(&mut [0u8; 4096])
            .expect("a push reaches the device");
        let (status, took) = sigterm(&mut child, Duration::from_secs(5));
        assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{adapter}");
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(reports.join("results.json")).unwrap())
                .unwrap();
        let cases = results["runs"][0]["results"].as_array().unwrap();
        assert!(
            cases.iter().any(|c| c["verdict"] == "error"
                && c["notes"][0]
                    .as_str()
                    .is_some_and(|n| n.contains("interrupted by signal 15"))),
            "{adapter}: {cases:?}"
        );
        eprintln!("{adapter}: exited {took:?} after SIGTERM");
    }
}

/// Runs `stop` (a service being dropped) on a thread of its own and fails, rather than hangs, if
/// it has not returned within `limit`.
fn stops_within(limit: Duration, stop: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        stop();
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(limit).is_ok(),
        "the service did not stop within {limit:?}: it waits on a peer"
    );
}

/// Sends SIGTERM to `child` and waits for it to exit, failing if it is still running after
/// `limit`; its status and how long it took.
fn sigterm(
    child: &mut std::process::Child,
    limit: Duration,
) -> (std::process::ExitStatus, Duration) {
    let sent = Instant::now();
    // SAFETY: a plain kill(2) of our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return (s, sent.elapsed());
        }
        assert!(
            sent.elapsed() < limit,
            "still running {limit:?} after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
