//! `cargo bench --bench codec`: decode, decode+verify and the bare hash for a typical 1.3 message
//! and for the docs/spec-notes.md 1.2 example, with the verify/hash ratio and heap allocations per decode.
//! A bench binary (no harness): it prints figures, it asserts nothing.

use dmnoti::codec::digest::{self, DigestReading};
use dmnoti::codec::v12::{self, Credentials12};
use dmnoti::codec::v13;
use dmnoti::codec::{MoIndex, NotiOption, parse_hex};
use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Best of 7 rounds of `iters` calls, in ns per call.
fn ns_per_call(iters: u32, mut f: impl FnMut()) -> f64 {
    (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .fold(f64::INFINITY, f64::min)
}

fn allocations(mut f: impl FnMut()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

fn main() {
    const N: u32 = 200_000;
    const SECRET: &[u8] = b"s3cret-notif";

    // A typical 1.3 message: Server-ID of 16 bytes, one Requested-MO.
    let mut m = v13::decode(&typical13())
        .map(|m| m.into_owned())
        .expect("valid");
    m.sign(SECRET, DigestReading::LiteralColons);
    let wire = m.encode();
    let (header, options) = (&wire[..12], &wire[12..wire.len() - 32]);
    let hashed = [SECRET, b":", header, b":", options].concat();

    let decode = ns_per_call(N, || {
        black_box(v13::decode(black_box(&wire)).is_ok());
    });
    let decode_verify = ns_per_call(N, || {
        let ok = v13::decode(black_box(&wire)).is_ok()
            && v13::verify(black_box(&wire), SECRET, DigestReading::LiteralColons).is_ok();
        black_box(ok);
    });
    let verify_alone = ns_per_call(N, || {
        black_box(v13::verify(black_box(&wire), SECRET, DigestReading::LiteralColons).is_ok());
    });
    let streamed = ns_per_call(N, || {
        black_box(digest::digest13(
            SECRET,
            black_box(header),
            black_box(options),
            DigestReading::LiteralColons,
        ));
    });
    let sha = ns_per_call(N, || {
        black_box(Sha256::digest(black_box(&hashed)));
    });
    let allocs = allocations(|| {
        black_box(v13::decode(&wire).is_ok());
    });
    println!(
        "1.3 message, {} bytes (SHA-256 input {} bytes)",
        wire.len(),
        hashed.len()
    );
    println!("  decode            {decode:8.1} ns");
    println!("  decode + verify   {decode_verify:8.1} ns");
    println!("  verify alone      {verify_alone:8.1} ns");
    println!("  digest, streamed  {streamed:8.1} ns (5 updates)");
    println!("  SHA-256 alone     {sha:8.1} ns (one contiguous buffer)");
    println!("  verify / hash     {:8.2}x", decode_verify / sha);
    println!("  allocations per decode: {allocs}");

    // The docs/spec-notes.md 1.2 example.
    let wire12 =
        parse_hex("ECE403CDE6BFD11780D5185040EC301202D800000030390453637473").expect("hex");
    let nonce = [0x00, 0xE5, 0x6E, 0x00];
    let creds = Credentials12 {
        password: b"SimpleClient",
        nonce: &nonce,
        server_id_override: None,
    };
    let decode12 = ns_per_call(N, || {
        black_box(v12::decode(black_box(&wire12)).is_ok());
    });
    let decode_verify12 = ns_per_call(N, || {
        let ok = v12::decode(black_box(&wire12))
            .map(|m| v12::verify(&wire12, m.server_id.as_bytes(), creds).is_ok())
            .unwrap_or(false);
        black_box(ok);
    });
    let md5_alone = ns_per_call(N, || {
        black_box(Md5::digest(black_box(&wire12)));
    });
    let digest12 = ns_per_call(N, || {
        black_box(digest::digest12(
            b"Scts",
            b"SimpleClient",
            &nonce,
            black_box(&wire12[16..]),
        ));
    });
    let allocs12 = allocations(|| {
        black_box(v12::decode(&wire12).is_ok());
    });
    println!("1.2 example, {} bytes", wire12.len());
    println!("  decode            {decode12:8.1} ns");
    println!("  decode + verify   {decode_verify12:8.1} ns");
    println!("  MD5 alone         {md5_alone:8.1} ns (one MD5 over the message)");
    println!("  1.2 digest        {digest12:8.1} ns (three MD5s and two Base64)");
    println!("  verify / MD5      {:8.2}x", decode_verify12 / md5_alone);
    println!("  verify / digest   {:8.2}x", decode_verify12 / digest12);
    println!("  allocations per decode: {allocs12}");
}

fn typical13() -> Vec<u8> {
    let mut m = v13::Notification13 {
        header: v13::Header {
            initiator: dmnoti::codec::Initiator::Server,
            ui_mode: dmnoti::codec::UiMode::Background,
            transport: dmnoti::codec::Transport::Http,
            reserved: 0,
            timeout: 10,
            session_id: dmnoti::codec::SessionId::new(0x3039).expect("non-zero"),
            timestamp: 1_700_000_000,
        },
        options: [
            NotiOption::ServerId("com.example.dm01".into()),
            NotiOption::RequestedMo(MoIndex::DEV_DETAIL),
        ]
        .into_iter()
        .collect(),
        digest: [0; 32],
    };
    m.sign(b"x", DigestReading::LiteralColons);
    m.encode()
}
