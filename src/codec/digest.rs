//! Digests of both formats, streamed into the hasher (no concatenation buffer) and compared in
//! constant time.
//! - 1.3 (seed 6.6): `Digest = Hash(server-secret:header:header-options)`, SHA-256. The text does not
//!   say what the colons are (erratum 9 of docs/spec-notes.md), so the reading is a named choice.
//! - 1.2 (docs/spec-notes.md): `MD5(B64(MD5(server-id ":" password)) ":" nonce ":" B64(MD5(trigger)))`.

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

pub const DIGEST13_LEN: usize = 32;
pub const DIGEST12_LEN: usize = 16;

/// The nonce a 1.2 client retries with after a digest failure (nonce resync, docs/spec-notes.md).
pub const RESYNC_NONCE: [u8; 4] = [0; 4];

/// How the 1.3 digest formula `Hash(server-secret:header:header-options)` is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestReading {
    /// SHA-256(secret 0x3A header 0x3A options): the colon is a literal byte, as in the 1.2 digest.
    #[default]
    LiteralColons,
    /// SHA-256(secret header options): the colons read as notation for concatenation.
    NoColons,
    /// HMAC-SHA-256 keyed with the secret over (header 0x3A options).
    HmacSha256,
}

impl DigestReading {
    pub const ALL: [DigestReading; 3] = [
        DigestReading::LiteralColons,
        DigestReading::NoColons,
        DigestReading::HmacSha256,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DigestReading::LiteralColons => "literal-colons",
            DigestReading::NoColons => "no-colons",
            DigestReading::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            DigestReading::LiteralColons => "SHA-256(secret ':' header ':' options)",
            DigestReading::NoColons => "SHA-256(secret || header || options)",
            DigestReading::HmacSha256 => "HMAC-SHA-256(secret, header ':' options)",
        }
    }
}

/// The 1.3 digest of a header and its option bytes under one reading.
pub fn digest13(
    secret: &[u8],
    header: &[u8],
    options: &[u8],
    reading: DigestReading,
) -> [u8; DIGEST13_LEN] {
    match reading {
        DigestReading::LiteralColons => sha256_of(&[secret, b":", header, b":", options]),
        DigestReading::NoColons => sha256_of(&[secret, header, options]),
        DigestReading::HmacSha256 => hmac_sha256(secret, &[header, b":", options]),
    }
}

fn sha256_of(parts: &[&[u8]]) -> [u8; DIGEST13_LEN] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// RFC 2104 over SHA-256, streamed: a few lines beat a crate for the one place it is used.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST13_LEN] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..DIGEST13_LEN].copy_from_slice(&sha256_of(&[key]));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    for p in parts {
        inner.update(p);
    }
    let inner: [u8; DIGEST13_LEN] = inner.finalize().into();
    sha256_of(&[&pad(0x5c), &inner])
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Standard Base64 with padding of 16 raw bytes: always 24 characters.
pub fn base64_16(bytes: &[u8; 16]) -> [u8; 24] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = [b'='; 24];
    for (i, chunk) in bytes.chunks(3).enumerate() {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (j, &b)| n | u32::from(b) << (16 - 8 * j));
        let emit = chunk.len() + 1;
        for j in 0..emit {
            out[i * 4 + j] = ALPHABET[((n >> (18 - 6 * j)) & 0x3f) as usize];
        }
    }
    out
}

fn md5_of(parts: &[&[u8]]) -> [u8; DIGEST12_LEN] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `B64(MD5(server-id ":" password))`, the first operand of the 1.2 digest.
pub fn credential12(server_id: &[u8], password: &[u8]) -> [u8; 24] {
    base64_16(&md5_of(&[server_id, b":", password]))
}

/// `B64(MD5(trigger))`, the last operand of the 1.2 digest.
pub fn trigger_hash12(trigger: &[u8]) -> [u8; 24] {
    base64_16(&md5_of(&[trigger]))
}

/// The 1.2 digest (docs/spec-notes.md). `server_id` is what the digest is keyed with: the message's
/// ServerID by default, SRVCRED's AAuthName for implementations that read it so.
pub fn digest12(
    server_id: &[u8],
    password: &[u8],
    nonce: &[u8],
    trigger: &[u8],
) -> [u8; DIGEST12_LEN] {
    md5_of(&[
        &credential12(server_id, password),
        b":",
        nonce,
        b":",
        &trigger_hash12(trigger),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::parse_hex;

    #[test]
    fn base64_matches_rfc4648() {
        let b = |s: &[u8; 24]| String::from_utf8(s.to_vec()).unwrap();
        assert_eq!(b(&base64_16(&[0; 16])), "AAAAAAAAAAAAAAAAAAAAAA==");
        assert_eq!(b(&base64_16(&[0xff; 16])), "/////////////////////w==");
        let bytes: [u8; 16] = *b"0123456789abcdef";
        assert_eq!(b(&base64_16(&bytes)), "MDEyMzQ1Njc4OWFiY2RlZg==");
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        let want = parse_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(mac.to_vec(), want.unwrap());
    }

    #[test]
    fn hmac_hashes_long_keys_first() {
        // RFC 4231 test case 6: a 131-byte key.
        let mac = hmac_sha256(
            &[0xaa; 131],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        let want = parse_hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
        assert_eq!(mac.to_vec(), want.unwrap());
    }

    #[test]
    fn the_readings_differ() {
        let d: Vec<_> = DigestReading::ALL
            .iter()
            .map(|r| digest13(b"secret", &[0x1a; 12], b"opts", *r))
            .collect();
        assert_ne!(d[0], d[1]);
        assert_ne!(d[0], d[2]);
        assert_ne!(d[1], d[2]);
        // The literal reading is plain SHA-256 over the colon-joined bytes.
        let mut joined = b"secret:".to_vec();
        joined.extend_from_slice(&[0x1a; 12]);
        joined.extend_from_slice(b":opts");
        assert_eq!(d[0], sha256_of(&[&joined]));
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
