//! The message commands through the real binary: output, exit codes, bad input.

mod common;
use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

const EXAMPLE12: &str = "ECE403CDE6BFD11780D5185040EC301202D800000030390453637473";

fn dmnoti() -> Command {
    Command::cargo_bin("dmnoti").unwrap()
}

fn encoded(args: &[&str]) -> String {
    let out = dmnoti().arg("encode").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn decode_verifies_the_notes_example() {
    dmnoti()
        .args([
            "decode",
            EXAMPLE12,
            "--password",
            "SimpleClient",
            "--nonce",
            "00E56E00",
        ])
        .assert()
        .success()
        .stdout(contains("format 1.2"))
        .stdout(contains("Package #1 SessionID \"3039\""))
        .stdout(contains("digest verifies with the nonce"))
        .stdout(contains("verdict: conformant"));
}

#[test]
fn a_flipped_digest_bit_is_a_mismatch_naming_6_6() {
    let hex = encoded(&["--server-id", "dm", "--secret", "k", "--timestamp", "1"]);
    let mut bytes = dmnoti_bytes(&hex);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    dmnoti()
        .args(["explain", &to_hex(&bytes), "--secret", "k"])
        .assert()
        .code(1)
        .stdout(contains("digest mismatch").and(contains("(6.6)")))
        .stdout(contains("verdict: NOT conformant"));
}

#[test]
fn wrong_messages_are_explained_with_offsets_and_sections() {
    let hex = encoded(&[
        "--server-id",
        "dm",
        "--secret",
        "k",
        "--version",
        "2",
        "--bearer",
        "0x0C",
        "--timestamp",
        "1",
    ]);
    dmnoti()
        .args(["decode", &hex])
        .assert()
        .code(1)
        .stdout(contains(
            "offset 0: VER is 2; this version of the message MUST set 0x01 (6.4.1)",
        ))
        .stdout(contains(
            "Preferred-Bearer 0x0C is not one of 0x00-0x0B (6.5.6)",
        ));
}

#[test]
fn json_output_is_machine_readable() {
    let hex = encoded(&[
        "--server-id",
        "dm",
        "--secret",
        "k",
        "--session-id",
        "0xAB",
        "--timestamp",
        "1",
    ]);
    let out = dmnoti()
        .args(["decode", &hex, "--secret", "k", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "1.3");
    assert_eq!(v["conformant"], true);
    assert_eq!(v["digest"]["verified"], true);
    let sid = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "SESSIONID")
        .unwrap();
    assert_eq!(sid["raw"], "0x00AB");
    assert_eq!(sid["offset"], 6);
}

#[test]
fn framed_encodings_are_detected_on_decode() {
    for flag in ["--wsp", "--http", "--http-plain"] {
        let out = dmnoti()
            .args([
                "encode",
                "--server-id",
                "dm",
                "--secret",
                "k",
                "--timestamp",
                "1",
                "--output",
                "raw",
                flag,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let dir = tempdir();
        let file = dir.join("push.bin");
        std::fs::write(&file, &out.stdout).unwrap();
        let kind = match flag {
            "--wsp" => "framing: wsp",
            "--http" => "framing: ota-http",
            _ => "framing: plain-http",
        };
        dmnoti()
            .args(["decode", file.to_str().unwrap(), "--secret", "k"])
            .assert()
            .success()
            .stdout(contains(kind))
            .stdout(contains("verdict: conformant"));
    }
}

#[test]
fn stdin_and_hex_files_are_read() {
    dmnoti()
        .args([
            "decode",
            "-",
            "--password",
            "SimpleClient",
            "--nonce",
            "00E56E00",
        ])
        .write_stdin(format!("{EXAMPLE12}\n"))
        .assert()
        .success();
    let dir = tempdir();
    let file = dir.join("m.hex");
    std::fs::write(
        &file,
        "ECE403CD E6BFD117 80D51850 40EC3012\n02D80000 00303904 53637473\n",
    )
    .unwrap();
    dmnoti()
        .args(["decode", file.to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("\"Scts\""));
}

#[test]
fn encode_12_reproduces_the_notes_example() {
    let hex = encoded(&[
        "--format",
        "1.2",
        "--server-id",
        "Scts",
        "--password",
        "SimpleClient",
        "--nonce",
        "00E56E00",
        "--session-id",
        "12345",
        "--ui-mode",
        "background",
    ]);
    assert_eq!(hex, EXAMPLE12.to_lowercase());
}

#[rstest::rstest]
#[case::not_hex(&["decode", "zz"], "not a hex digit")]
#[case::odd_hex(&["decode", "abc"], "odd number")]
#[case::missing_file(&["decode", "--as", "v13", "-"], "empty")]
#[case::encode_without_key(&["encode", "--server-id", "x"], "needs --secret")]
#[case::session_out_of_range(&["encode", "--server-id", "x", "--secret", "k", "--session-id", "70000"], "out of range")]
#[case::unknown_flag(&["decode", "00", "--frobnicate"], "unexpected argument")]
fn bad_input_exits_2_with_one_line(#[case] args: &[&str], #[case] message: &str) {
    dmnoti()
        .args(args)
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(contains(message));
}

#[test]
fn scrs_lists_the_catalog() {
    dmnoti()
        .arg("scrs")
        .assert()
        .success()
        .stdout(contains("SCR-DM-NOTI-C-023-O"))
        .stdout(contains("SCR-DM-NOTI-S-011-M"))
        .stdout(contains("printed as SCR-DM-NOTI-C-011-M"));
    let out = dmnoti().args(["scrs", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 38);
    dmnoti()
        .args(["scrs", "--errata"])
        .assert()
        .success()
        .stdout(contains("Erratum 9"));
}

fn dmnoti_bytes(hex: &str) -> Vec<u8> {
    dmnoti::codec::parse_hex(hex).unwrap()
}

fn to_hex(bytes: &[u8]) -> String {
    dmnoti::codec::hex(bytes)
}

/// A fresh directory, removed when the test ends.
fn tempdir() -> common::TestDir {
    common::tempdir("cli")
}

/// `encode --sms` and `decode --as sms` (WAP push over SMS, 7.1): a long push is segmented, each
/// TPDU a hex line, read back in any order with the digest verified; each wrong-on-purpose option
/// is named at decoding with its rule and clause.
#[rstest::rstest]
#[case::conformant(&[], 0, "verdict: conformant")]
#[case::reversed(&["--sms-reverse"], 0, "segment 3 of 3")]
#[case::missing(&["--sms-drop", "2"], 1, "segment(s) [2] of 3 missing (7.1, TS 23.040 9.2.3.24.1)")]
#[case::twice(&["--sms-duplicate", "1"], 1, "segment 1 twice")]
#[case::port(&["--sms-port", "2949"], 1, "destination port 2949, not the WAP push port 2948")]
#[case::seven_bit(&["--sms-dcs", "00"], 1, "GSM 7-bit alphabet")]
fn sms_tpdus_encode_and_decode(#[case] extra: &[&str], #[case] code: i32, #[case] says: &str) {
    let vendor = "v".repeat(200);
    let mut args = vec![
        "--server-id",
        "com.example.dm",
        "--secret",
        "k",
        "--vendor-info",
        &vendor,
        "--sms",
        "deliver",
    ];
    args.extend_from_slice(extra);
    let lines = encoded(&args);
    let segments: Vec<&str> = lines.lines().collect();
    assert!(segments.len() >= 2, "{lines}");
    let dir = common::tempdir("sms");
    let file = dir.join("tpdus.txt");
    std::fs::write(&file, &lines).unwrap();
    dmnoti()
        .args(["decode", "--as", "sms", "--secret", "k"])
        .arg(&file)
        .assert()
        .code(code)
        .stdout(contains(says));
    // Whole, the TPDUs are recognised without --as.
    if code == 0 {
        dmnoti()
            .args(["decode", "--secret", "k"])
            .arg(&file)
            .assert()
            .code(0)
            .stdout(contains("framing: sms"));
    }
    // Raw output takes one TPDU only.
    dmnoti()
        .arg("encode")
        .args(&args)
        .args(["--output", "raw"])
        .assert()
        .code(2)
        .stderr(contains("use hex, one per line"));
}
