//! The harness's OBEX (7.2) against a real OBEX stack from Debian: obexftp 0.24 and its server
//! obexftpd, on OpenOBEX 1.7, over TCP on loopback, and Wireshark's OBEX dissector. obexftpd must
//! take the harness's CONNECT and a PUT split over many packets, answering each, and read its
//! headers; obexftp must push a file to the harness's OBEX server, which must reassemble it and
//! say what obexftp's push lacks for DM; tshark must read a captured push back byte for byte.

mod common;
use common::require;
use dmnoti::adapter::obex::{self, ObexServer, PushSpec};
use dmnoti::codec::Format;
use dmnoti::codec::obex::{self as codec, rsp};
use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when dropped, so that a failed assertion leaves no server behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Package #0 made by `dmnoti encode`.
fn package0(session: &str) -> Vec<u8> {
    let out = common::dmnoti()
        .args([
            "encode",
            "--server-id",
            "com.example.dm",
            "--session-id",
            session,
        ])
        .args([
            "--secret",
            "s3cret",
            "--vendor-info",
            "acme:firmware=1.2.3;channel=beta",
        ])
        .args(["--output", "raw"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

/// obexftpd (OpenOBEX 1.7 underneath) as the device's OBEX server: it must take the harness's
/// CONNECT to the DM service and a PUT split into 16-byte bodies, answer each packet (Continue,
/// then Success), and read the PUT's Unicode Name and its Length as the harness wrote them, which
/// it prints. (obexftpd 0.24 on libopenobex 1.7 does not store PUT bodies, obexftp's own
/// included; the body's bytes are checked by Wireshark's dissector in `a_push_reads_back_in_tshark`.)
#[test]
#[ignore = "needs obexftpd (Debian's obexftp): .ci/run installs it and runs this with --ignored"]
fn obexftpd_takes_the_harness_push_split_over_many_packets() {
    require("obexftpd");
    let dir = common::tempdir("obexftpd");
    let port = free_port();
    let (log, errors) = (dir.join("obexftpd.out"), dir.join("obexftpd.err"));
    // -c before -n: obexftpd starts serving as it reads -n.
    let server = Killed(
        Command::new("stdbuf")
            .args(["-o0", "-e0", "obexftpd", "-c"])
            .arg(&*dir)
            .args(["-n", &format!("127.0.0.1:{port}")])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&errors).unwrap())
            .spawn()
            .expect("obexftpd runs"),
    );
    let to = format!("127.0.0.1:{port}").parse().unwrap();
    let message = package0("4660");
    let spec = PushSpec {
        put: codec::PutSpec {
            name: Some("package0.bin"),
            chunk: Some(16),
            ..codec::PutSpec::default()
        },
        ..PushSpec::default()
    };
    // obexftpd serves one connection at a time and listens again a second after each: until it
    // listens, the push is refused; no probe connection is made, since it would take the slot.
    let deadline = Instant::now() + Duration::from_secs(10);
    let pushed = loop {
        match obex::push(
            to,
            &spec,
            Format::V13,
            &message,
            Duration::from_secs(5),
            None,
        ) {
            Ok(p) => break p,
            Err(e) if Instant::now() < deadline && e.to_string().contains("refused") => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("obexftpd: {e}"),
        }
    };
    assert_eq!(pushed.connect, rsp::SUCCESS, "{pushed:?}");
    assert_eq!(pushed.put, rsp::SUCCESS, "{pushed:?}");
    assert!(pushed.packets > message.len() / 16, "{pushed:?}");
    drop(server);
    let said = std::fs::read_to_string(&log).unwrap() + &std::fs::read_to_string(&errors).unwrap();
    assert!(said.contains("put file name: package0.bin"), "{said}");
    assert!(
        said.contains(&format!("HEADER_LENGTH = {}", message.len())),
        "{said}"
    );
}

#[test]
#[ignore = "needs obexftp (Debian's obexftp): .ci/run installs it and runs this with --ignored"]
fn obexftp_pushes_to_the_harness_obex_server() {
    require("obexftp");
    let dir = common::tempdir("obexftp");
    let message = package0("4661");
    let file = dir.join("package0.bin");
    std::fs::write(&file, &message).unwrap();
    let server = ObexServer::start(
        "127.0.0.1:0".parse().unwrap(),
        None,
        obex::RECEIVE_MAX,
        None,
    )
    .unwrap();
    // No target (-U none), no connection id (-H), no SETPATH (-S): obexftp's plainest push.
    let out = Command::new("obexftp")
        .args([
            "-n",
            &server.addr.to_string(),
            "-U",
            "none",
            "-H",
            "-S",
            "-p",
        ])
        .arg(&file)
        .current_dir(&*dir)
        .output()
        .expect("obexftp runs");
    // obexftp 0.24 exits with its last operation's result negated (255 after a put that
    // worked), so what it printed tells: every step done, none failed.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("Sending") && !said.contains("failed"),
        "obexftp: {said}"
    );
    let put = server.next(Duration::from_secs(5)).expect("a PUT arrived");
    assert_eq!(
        put.body, message,
        "reassembled from {} packets",
        put.packets
    );
    assert_eq!(put.name.as_deref(), Some("package0.bin"));
    assert!(put.connected);
    assert!(
        put.largest_packet <= usize::from(obex::RECEIVE_MAX),
        "{put:?}"
    );
    // obexftp is a file-transfer client, not a DM server: no DM target, no DM type.
    let names: Vec<&str> = codec::sender_rules(&put)
        .iter()
        .map(|e| dmnoti::codec::Rule::name(&e.kind))
        .collect();
    assert_eq!(names, ["wrong-target", "missing-type"], "{put:?}");
}

/// A push captured on the wire and read by Wireshark's OBEX dissector (decoded as OBEX on the
/// server's port): a CONNECT to the DM service, then PUTs whose Type is the notification's and
/// whose Body and End-of-Body headers, in order, are the message; each packet within the 255
/// bytes the server declared. A second reader of our OBEX, not written by us.
#[test]
#[ignore = "needs tshark: .ci/run installs it and runs this with --ignored"]
fn a_push_reads_back_in_tshark() {
    require("tshark");
    let dir = common::tempdir("obex-pcap");
    let capture = dmnoti::adapter::capture::Capture::default();
    let server = ObexServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Some(capture.clone()),
        obex::RECEIVE_MAX,
        None,
    )
    .unwrap();
    let message = package0("4662");
    let long: Vec<u8> = message.iter().cycle().take(600).copied().collect();
    obex::push(
        server.addr,
        &PushSpec::default(),
        Format::V13,
        &long,
        Duration::from_secs(5),
        None,
    )
    .unwrap();
    assert_eq!(server.next(Duration::from_secs(2)).unwrap().body, long);
    let pcap = dir.join("obex.pcap");
    std::fs::write(&pcap, capture.to_pcap()).unwrap();
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-d", &format!("tcp.port=={},obex", server.addr.port())])
        .args(["-Y", "obex.opcode", "-T", "fields", "-E", "separator=|"])
        .args([
            "-e",
            "obex.opcode",
            "-e",
            "obex.final_flag",
            "-e",
            "obex.pkt_len",
        ])
        .args([
            "-e",
            "obex.header.id",
            "-e",
            "obex.header.value.byte_sequence",
        ])
        .args(["-e", "obex.type"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    // CONNECT (opcode 0 with the final bit) with Target SYNCML-DM; then the PUTs; DISCONNECT.
    assert_eq!(&rows[0][..2], ["0x00", "1"], "{text}");
    assert_eq!(rows[0][3], "0x46", "{text}");
    assert_eq!(rows[0][4], dmnoti::codec::hex(codec::TARGET_DM), "{text}");
    let puts: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == "0x02").collect();
    assert!(puts.len() >= 3, "{text}");
    assert_eq!(
        puts[0][5], "application/vnd.syncml.dm.notification",
        "{text}"
    );
    let mut body = Vec::new();
    for (i, r) in puts.iter().enumerate() {
        assert!(r[2].parse::<usize>().unwrap() <= 255, "{text}");
        assert_eq!(
            r[1] == "1",
            i + 1 == puts.len(),
            "final bit on the last PUT only"
        );
        // The Body or End-of-Body header is the packet's last byte sequence.
        let last = r[4].split(',').next_back().unwrap();
        body.extend(dmnoti::codec::parse_hex(last).unwrap());
    }
    assert_eq!(body, long, "Wireshark's reading of the body differs");
    assert_eq!(rows.last().unwrap()[0], "0x01", "{text}");
}
