//! Golden vectors in `tests/vectors/qr.json` (repository root).
//!
//! The file is generated from fixed inputs by [`generate`]. One test checks
//! the file against the crate, another checks that it is up to date; run
//! `UPDATE_VECTORS=1 cargo test -p usher-qr --test vectors` to rewrite it
//! after an intended change. The JavaScript side checks the same file through
//! the wasm facade, so field names are plain snake_case and every verify case
//! carries everything it needs.
//!
//! The MAC inputs and display keys are also recomputed here from the
//! written specification with the `hmac` crate directly, so the file pins the
//! format and not merely whatever the crate happens to do.

// The vector file is read from disk, which wasm32-unknown-unknown has no access to;
// the wasm build checks the same file from Deno and Node instead.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use usher_qr::{
    generate_key_material, live_display_key, live_iat, parse, sign_live, sign_print, verify,
    EventId, Key, KeyId, KeyRing, Policy, TicketId, LIVE_MAX_AGE_SECS, LIVE_STEP_SECS,
    MAX_CODE_LEN, MAX_FUTURE_SKEW_SECS, MAX_IAT, MAX_V1_CODE_LEN,
};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Vectors {
    description: String,
    format: String,
    constants: Constants,
    tickets: Vec<TicketVector>,
    verify_cases: Vec<VerifyCase>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Constants {
    max_code_len: usize,
    max_v1_code_len: usize,
    max_iat: i64,
    live_step_secs: i64,
    live_max_age_secs: i64,
    max_future_skew_secs: i64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct TicketVector {
    name: String,
    /// `QR_SIGNING_KEYS`; the first entry signs.
    signing_keys: String,
    ticket_id: String,
    event_id: String,
    iat: i64,
    print_mac_input_hex: String,
    print_code: String,
    kid: String,
    display_key: String,
    live_codes: Vec<LiveVector>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct LiveVector {
    now: i64,
    iat: i64,
    mac_input_hex: String,
    code: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct VerifyCase {
    name: String,
    signing_keys: String,
    code: String,
    event_id: String,
    now: i64,
    /// `"ok"` or a reason name.
    expect: String,
    /// For `"ok"`: the kind letter and ticket id the verifier must report.
    kind: Option<String>,
    ticket_id: Option<String>,
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/qr.json")
}

fn docs_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/qr-format.md")
}

// ---------------------------------------------------------------------------
// The specification, written out independently of the crate.

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn spec_hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn spec_mac_input(kind: u8, kid: &str, ticket: &TicketId, event: &EventId, iat: i64) -> Vec<u8> {
    let mut input = b"usher-qr\0v1".to_vec();
    input.push(kind);
    input.push(u8::try_from(kid.len()).unwrap());
    input.extend_from_slice(kid.as_bytes());
    input.extend_from_slice(ticket.as_bytes());
    input.extend_from_slice(event.as_bytes());
    input.extend_from_slice(&u64::try_from(iat).unwrap().to_be_bytes());
    input
}

fn spec_display_key(master: &[u8], ticket: &TicketId, event: &EventId) -> Vec<u8> {
    let mut input = b"usher-qr-display\0v1".to_vec();
    input.extend_from_slice(ticket.as_bytes());
    input.extend_from_slice(event.as_bytes());
    spec_hmac(master, &input)
}

fn b64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The master key bytes of `kid` in a `QR_SIGNING_KEYS` string.
fn master_bytes(signing_keys: &str, kid: &str) -> Vec<u8> {
    signing_keys
        .split(',')
        .map(|entry| entry.trim().split_once(':').unwrap())
        .find(|(k, _)| k.trim() == kid)
        .map(|(_, key)| b64url_decode(key.trim()))
        .unwrap()
}

/// Checks a code's MAC field against the specification.
fn spec_check_code(code: &str, key: &[u8], event: &EventId, expected_input_hex: &str) {
    let fields: Vec<&str> = code.split('.').collect();
    assert_eq!(fields.len(), 6, "{code}");
    let ticket = TicketId::from_bytes(b64url_decode(fields[3]).try_into().unwrap());
    let input = spec_mac_input(
        fields[1].as_bytes()[0],
        fields[2],
        &ticket,
        event,
        fields[4].parse().unwrap(),
    );
    assert_eq!(hex(&input), expected_input_hex, "{code}");
    assert_eq!(
        b64url_decode(fields[5]),
        spec_hmac(key, &input)[..16],
        "{code}"
    );
}

// ---------------------------------------------------------------------------
// The generator.

fn entry(kid: &str, bytes: &[u8]) -> String {
    match <[u8; 32]>::try_from(bytes) {
        Ok(random) => generate_key_material(&KeyId::new(kid).unwrap(), random),
        // 64-byte keys are not what the helper makes, but the format allows
        // them and implementations must handle them.
        Err(_) => {
            let ring = format!("{kid}:{}", b64url_encode(bytes));
            assert!(KeyRing::parse(&ring).is_ok());
            ring
        }
    }
}

fn b64url_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

struct Fixture {
    ring_old: String,
    ring_rotating: String,
    ring_new: String,
    ring_edge: String,
    ticket: TicketId,
    other_ticket: TicketId,
    edge_ticket: TicketId,
    event: EventId,
    other_event: EventId,
    edge_event: EventId,
    /// Issue time of the codes signed with the new key: 2026-01-01T00:00:00Z.
    t: i64,
    /// Issue time of the print code signed with the old key: 2025-01-01T00:00:00Z.
    t_old: i64,
}

fn fixture() -> Fixture {
    let old: Vec<u8> = (0u8..32).collect();
    let new: Vec<u8> = (0u8..32).map(|i| 0xa5 ^ i.wrapping_mul(37)).collect();
    let edge: Vec<u8> = (0u8..64)
        .map(|i| i.wrapping_mul(3).wrapping_add(1))
        .collect();
    let old = entry("k2025", &old);
    let new = entry("k2026", &new);
    Fixture {
        ring_rotating: format!("{new},{old}"),
        ring_old: old,
        ring_new: new,
        ring_edge: entry("edge_key-16chars", &edge),
        ticket: "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10".parse().unwrap(),
        other_ticket: "c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b".parse().unwrap(),
        edge_ticket: "ffffffff-ffff-4fff-bfff-ffffffffffff".parse().unwrap(),
        event: "0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98".parse().unwrap(),
        other_event: "7e57e7e5-1111-4222-8333-444455556666".parse().unwrap(),
        edge_event: "00000000-0000-4000-8000-000000000000".parse().unwrap(),
        t: 1_767_225_600,
        t_old: 1_735_689_600,
    }
}

fn ticket_vector(
    name: &str,
    signing_keys: &str,
    ticket: &TicketId,
    event: &EventId,
    iat: i64,
    live_nows: &[i64],
) -> TicketVector {
    let ring: KeyRing = signing_keys.parse().unwrap();
    let (kid, display_key) = live_display_key(&ring, ticket, event);
    let live_codes = live_nows
        .iter()
        .map(|&now| {
            let iat = live_iat(now);
            LiveVector {
                now,
                iat,
                mac_input_hex: hex(&spec_mac_input(b'l', kid.as_str(), ticket, event, iat)),
                code: sign_live(&display_key, &kid, ticket, event, iat).unwrap(),
            }
        })
        .collect();
    TicketVector {
        name: name.to_string(),
        signing_keys: signing_keys.to_string(),
        ticket_id: ticket.to_string(),
        event_id: event.to_string(),
        iat,
        print_mac_input_hex: hex(&spec_mac_input(b'p', kid.as_str(), ticket, event, iat)),
        print_code: sign_print(&ring, ticket, event, iat).unwrap(),
        kid: kid.to_string(),
        display_key: display_key.to_base64url(),
        live_codes,
    }
}

/// Replaces the `index`-th dot-separated field of a code.
fn with_field(code: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = code.split('.').collect();
    fields[index] = value;
    fields.join(".")
}

/// Changes one base64url character at `pos` to another that keeps the
/// encoding canonical (the last character of a 16-byte field carries only 2
/// data bits, so it steps by 16).
fn tweak_b64(field: &str, pos: usize) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut chars: Vec<char> = field.chars().collect();
    let value = ALPHABET.find(chars[pos]).unwrap();
    let step = if pos + 1 == chars.len() { 16 } else { 1 };
    chars[pos] = ALPHABET.as_bytes()[(value + step) % 64] as char;
    chars.into_iter().collect()
}

/// Sets a padding bit in the last character of a 16-byte base64url field.
fn non_canonical(field: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut chars: Vec<char> = field.chars().collect();
    let last = chars.len() - 1;
    let value = ALPHABET.find(chars[last]).unwrap();
    chars[last] = ALPHABET.as_bytes()[value | 1] as char;
    chars.into_iter().collect()
}

fn generate() -> Vectors {
    let f = fixture();
    let main = ticket_vector(
        "main",
        &f.ring_rotating,
        &f.ticket,
        &f.event,
        f.t,
        &[f.t, f.t + 29, f.t + 30, f.t + 95],
    );
    let old = ticket_vector(
        "old_key",
        &f.ring_old,
        &f.ticket,
        &f.event,
        f.t_old,
        &[f.t_old],
    );
    let edge = ticket_vector(
        "edge_64_byte_key_16_char_kid_max_iat",
        &f.ring_edge,
        &f.edge_ticket,
        &f.edge_event,
        MAX_IAT,
        &[0, MAX_IAT],
    );

    let print = main.print_code.clone();
    let live = main.live_codes[0].code.clone();
    let old_print = old.print_code.clone();
    let mac = print.split('.').nth(5).unwrap().to_string();
    let tid = print.split('.').nth(3).unwrap().to_string();
    let t = f.t;

    // A live code for another ticket, signed with this ticket's display key:
    // what a holder who extracted the display key from their phone could try.
    let display_key = usher_qr::DisplayKey::from_base64url(&main.display_key).unwrap();
    let kid = KeyId::new(&main.kid).unwrap();
    let live_other_ticket = sign_live(&display_key, &kid, &f.other_ticket, &f.event, t).unwrap();
    // A print code MACed with the display key instead of the master key.
    let display_as_master = KeyRing::new(kid, Key::from_base64url(&main.display_key).unwrap());
    let print_with_display_key = sign_print(&display_as_master, &f.ticket, &f.event, t).unwrap();
    // A genuine print code for another ticket, to show the ticket id is bound.
    let ring: KeyRing = f.ring_rotating.parse().unwrap();
    let other_print = sign_print(&ring, &f.other_ticket, &f.event, t).unwrap();
    let other_tid = other_print.split('.').nth(3).unwrap().to_string();

    let m = Material {
        rot: f.ring_rotating.clone(),
        event: f.event,
        t,
        print,
        live,
        old_print,
        mac,
        tid,
        other_tid,
        live_other_ticket,
        print_with_display_key,
        edge_print_iat_zero: edge_print_at(&f, 0),
        edge_print: edge.print_code.clone(),
        edge_live: edge.live_codes[1].code.clone(),
        f,
    };
    let cases = verify_cases(&m).into_iter().map(|c| c.build()).collect();

    Vectors {
        description: "Golden vectors for usher-qr v1 codes, generated by the usher-qr crate \
            (crates/usher-qr/tests/vectors.rs). Format: docs/qr-format.md. signing_keys is a \
            QR_SIGNING_KEYS value whose first entry signs. Verify each case with the default \
            policy; expect is \"ok\" or a reason name."
            .to_string(),
        format: "v1".to_string(),
        constants: Constants {
            max_code_len: MAX_CODE_LEN,
            max_v1_code_len: MAX_V1_CODE_LEN,
            max_iat: MAX_IAT,
            live_step_secs: LIVE_STEP_SECS,
            live_max_age_secs: LIVE_MAX_AGE_SECS,
            max_future_skew_secs: MAX_FUTURE_SKEW_SECS,
        },
        tickets: vec![main, old, edge],
        verify_cases: cases,
    }
}

/// Codes and keys the verify cases are built from.
struct Material {
    f: Fixture,
    /// The ring during a rotation: new key active, old key verify-only.
    rot: String,
    event: EventId,
    t: i64,
    print: String,
    live: String,
    old_print: String,
    mac: String,
    tid: String,
    other_tid: String,
    live_other_ticket: String,
    print_with_display_key: String,
    edge_print_iat_zero: String,
    edge_print: String,
    edge_live: String,
}

/// One verify case before it is written out.
struct CaseSpec {
    name: &'static str,
    signing_keys: String,
    code: String,
    event: EventId,
    now: i64,
    expect: &'static str,
}

impl CaseSpec {
    fn build(self) -> VerifyCase {
        let ok = (self.expect == "ok").then(|| parse(&self.code).unwrap());
        VerifyCase {
            name: self.name.to_string(),
            signing_keys: self.signing_keys,
            code: self.code,
            event_id: self.event.to_string(),
            now: self.now,
            expect: self.expect.to_string(),
            kind: ok.map(|p| p.kind.to_string()),
            ticket_id: ok.map(|p| p.ticket.to_string()),
        }
    }
}

// The table is kept one case per line, which rustfmt would undo.
#[rustfmt::skip]
fn verify_cases(m: &Material) -> Vec<CaseSpec> {
    let f = &m.f;
    let (t, day) = (m.t, 86_400);
    let (print, live, mac, tid) = (m.print.as_str(), m.live.as_str(), m.mac.as_str(), m.tid.as_str());
    let live_mac = live.split('.').nth(5).unwrap();
    let prefix = print.rsplit_once('.').unwrap().0;
    let too_long = format!("{print}{}", "A".repeat(MAX_CODE_LEN + 1 - print.len()));

    // (name, signing keys, code, event, now, expect)
    let rows: Vec<(&'static str, &str, String, &EventId, i64, &'static str)> = vec![
        // Print codes: accepted forever, but not from the future.
        ("print_ok_at_issue", &m.rot, print.into(), &m.event, t, "ok"),
        ("print_ok_ten_years_later", &m.rot, print.into(), &m.event, t + 3653 * day, "ok"),
        ("print_skew_limit_accepted", &m.rot, print.into(), &m.event, t - MAX_FUTURE_SKEW_SECS, "ok"),
        ("print_skew_limit_exceeded", &m.rot, print.into(), &m.event, t - MAX_FUTURE_SKEW_SECS - 1, "not_yet_valid"),
        ("print_iat_zero_ok", &f.ring_edge, m.edge_print_iat_zero.clone(), &f.edge_event, 0, "ok"),
        ("print_max_length_ok", &f.ring_edge, m.edge_print.clone(), &f.edge_event, MAX_IAT, "ok"),

        // Live codes: valid for now in [iat - 60, iat + 300], both ends inclusive.
        ("live_ok_at_issue", &m.rot, live.into(), &m.event, t, "ok"),
        ("live_ok_after_rotation_step", &m.rot, live.into(), &m.event, t + LIVE_STEP_SECS, "ok"),
        ("live_age_limit_accepted", &m.rot, live.into(), &m.event, t + LIVE_MAX_AGE_SECS, "ok"),
        ("live_age_limit_exceeded", &m.rot, live.into(), &m.event, t + LIVE_MAX_AGE_SECS + 1, "expired"),
        ("live_skew_limit_accepted", &m.rot, live.into(), &m.event, t - MAX_FUTURE_SKEW_SECS, "ok"),
        ("live_skew_limit_exceeded", &m.rot, live.into(), &m.event, t - MAX_FUTURE_SKEW_SECS - 1, "not_yet_valid"),
        ("live_max_length_ok", &f.ring_edge, m.edge_live.clone(), &f.edge_event, MAX_IAT, "ok"),

        // Rotation: the old key verifies while it is in the ring, not after.
        ("rotation_old_key_before_rotation", &f.ring_old, m.old_print.clone(), &m.event, t, "ok"),
        ("rotation_old_key_while_in_ring", &m.rot, m.old_print.clone(), &m.event, t, "ok"),
        ("rotation_old_key_after_removal", &f.ring_new, m.old_print.clone(), &m.event, t, "unknown_key"),
        ("rotation_new_key_on_old_ring", &f.ring_old, print.into(), &m.event, t, "unknown_key"),
        ("rotation_new_key_after_removal", &f.ring_new, print.into(), &m.event, t, "ok"),
        ("unknown_kid", &m.rot, with_field(print, 2, "nope"), &m.event, t, "unknown_key"),
        ("unknown_kid_case_sensitive", &m.rot, with_field(print, 2, "K2026"), &m.event, t, "unknown_key"),

        // Wrong event: indistinguishable from a forgery without the database.
        ("print_wrong_event", &m.rot, print.into(), &f.other_event, t, "invalid_signature"),
        ("live_wrong_event", &m.rot, live.into(), &f.other_event, t, "invalid_signature"),
        ("live_wrong_event_and_expired", &m.rot, live.into(), &f.other_event, t + 10 * day, "invalid_signature"),

        // Tampering, and what a holder of a display key could try.
        ("tampered_mac_first_char", &m.rot, with_field(print, 5, &tweak_b64(mac, 0)), &m.event, t, "invalid_signature"),
        ("tampered_mac_last_char", &m.rot, with_field(print, 5, &tweak_b64(mac, 21)), &m.event, t, "invalid_signature"),
        ("tampered_ticket_id", &m.rot, with_field(print, 3, &tweak_b64(tid, 5)), &m.event, t, "invalid_signature"),
        ("swapped_ticket_id", &m.rot, with_field(print, 3, &m.other_tid), &m.event, t, "invalid_signature"),
        ("tampered_iat", &m.rot, with_field(print, 4, &(t + 1).to_string()), &m.event, t, "invalid_signature"),
        ("tampered_iat_to_extend_live", &m.rot, with_field(live, 4, &(t + 600).to_string()), &m.event, t + 600, "invalid_signature"),
        ("tampered_and_expired", &m.rot, with_field(live, 5, &tweak_b64(live_mac, 3)), &m.event, t + day, "invalid_signature"),
        ("print_relabelled_live", &m.rot, with_field(print, 1, "l"), &m.event, t, "invalid_signature"),
        ("live_relabelled_print", &m.rot, with_field(live, 1, "p"), &m.event, t, "invalid_signature"),
        ("display_key_forges_other_ticket", &m.rot, m.live_other_ticket.clone(), &m.event, t, "invalid_signature"),
        ("display_key_forges_print_code", &m.rot, m.print_with_display_key.clone(), &m.event, t, "invalid_signature"),

        // Malformed input: never valid, never anything but malformed.
        ("empty", &m.rot, String::new(), &m.event, t, "malformed"),
        ("empty_mac", &m.rot, format!("{prefix}."), &m.event, t, "malformed"),
        ("missing_mac_field", &m.rot, prefix.into(), &m.event, t, "malformed"),
        ("truncated_by_one", &m.rot, print[..print.len() - 1].into(), &m.event, t, "malformed"),
        ("truncated_to_half", &m.rot, print[..print.len() / 2].into(), &m.event, t, "malformed"),
        ("overlong_mac", &m.rot, format!("{print}A"), &m.event, t, "malformed"),
        ("mac_with_padding", &m.rot, format!("{print}=="), &m.event, t, "malformed"),
        ("mac_non_canonical", &m.rot, with_field(print, 5, &non_canonical(mac)), &m.event, t, "malformed"),
        ("mac_standard_base64", &m.rot, with_field(print, 5, &format!("+{}", &mac[1..])), &m.event, t, "malformed"),
        ("ticket_id_non_canonical", &m.rot, with_field(print, 3, &non_canonical(tid)), &m.event, t, "malformed"),
        ("extra_field", &m.rot, format!("{print}.x"), &m.event, t, "malformed"),
        ("too_long", &m.rot, too_long, &m.event, t, "malformed"),
        ("wrong_version", &m.rot, with_field(print, 0, "v2"), &m.event, t, "malformed"),
        ("uppercase_kind", &m.rot, with_field(print, 1, "P"), &m.event, t, "malformed"),
        ("unknown_kind", &m.rot, with_field(print, 1, "x"), &m.event, t, "malformed"),
        ("empty_kid", &m.rot, with_field(print, 2, ""), &m.event, t, "malformed"),
        ("kid_too_long", &m.rot, with_field(print, 2, "k2026k2026k2026k2"), &m.event, t, "malformed"),
        ("iat_leading_zero", &m.rot, with_field(print, 4, &format!("0{t}")), &m.event, t, "malformed"),
        ("iat_negative", &m.rot, with_field(print, 4, &format!("-{t}")), &m.event, t, "malformed"),
        ("iat_plus_sign", &m.rot, with_field(print, 4, &format!("+{t}")), &m.event, t, "malformed"),
        ("iat_twelve_digits", &m.rot, with_field(print, 4, "100000000000"), &m.event, t, "malformed"),
        ("trailing_newline", &m.rot, format!("{print}\n"), &m.event, t, "malformed"),
        ("leading_space", &m.rot, format!(" {print}"), &m.event, t, "malformed"),
        ("url_wrapped", &m.rot, format!("https://x/{print}"), &m.event, t, "malformed"),
    ];
    rows.into_iter()
        .map(|(name, keys, code, event, now, expect)| CaseSpec {
            name,
            signing_keys: keys.to_string(),
            code,
            event: *event,
            now,
            expect,
        })
        .collect()
}

fn edge_print_at(f: &Fixture, iat: i64) -> String {
    let ring: KeyRing = f.ring_edge.parse().unwrap();
    sign_print(&ring, &f.edge_ticket, &f.edge_event, iat).unwrap()
}

fn render(vectors: &Vectors) -> String {
    let mut text = serde_json::to_string_pretty(vectors).unwrap();
    text.push('\n');
    text
}

fn read_vectors() -> Vectors {
    let text = std::fs::read_to_string(vectors_path())
        .expect("tests/vectors/qr.json is missing: run UPDATE_VECTORS=1 cargo test -p usher-qr --test vectors");
    serde_json::from_str(&text).unwrap()
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn vectors_file_is_up_to_date() {
    let expected = render(&generate());
    let path = vectors_path();
    if std::env::var_os("UPDATE_VECTORS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "tests/vectors/qr.json is out of date: run UPDATE_VECTORS=1 cargo test -p usher-qr --test vectors"
    );
}

#[test]
fn vectors_file_matches_crate_and_spec() {
    let vectors = read_vectors();
    assert_eq!(vectors.format, "v1");
    assert_eq!(vectors.constants.max_code_len, MAX_CODE_LEN);
    assert_eq!(vectors.constants.live_step_secs, LIVE_STEP_SECS);

    for t in &vectors.tickets {
        let ring: KeyRing = t.signing_keys.parse().unwrap();
        let ticket: TicketId = t.ticket_id.parse().unwrap();
        let event: EventId = t.event_id.parse().unwrap();
        let master = master_bytes(&t.signing_keys, &t.kid);

        // The crate reproduces every value.
        assert_eq!(
            sign_print(&ring, &ticket, &event, t.iat).unwrap(),
            t.print_code,
            "{}",
            t.name
        );
        let (kid, display_key) = live_display_key(&ring, &ticket, &event);
        assert_eq!(kid.as_str(), t.kid);
        assert_eq!(display_key.to_base64url(), t.display_key, "{}", t.name);

        // The specification reproduces every value.
        assert_eq!(
            b64url_decode(&t.display_key),
            spec_display_key(&master, &ticket, &event),
            "{}",
            t.name
        );
        spec_check_code(&t.print_code, &master, &event, &t.print_mac_input_hex);
        for live in &t.live_codes {
            assert_eq!(live.iat, live_iat(live.now));
            assert_eq!(
                sign_live(&display_key, &kid, &ticket, &event, live.iat).unwrap(),
                live.code
            );
            spec_check_code(
                &live.code,
                &b64url_decode(&t.display_key),
                &event,
                &live.mac_input_hex,
            );
            let ok = verify(&ring, &live.code, &event, live.now, Policy::default()).unwrap();
            assert_eq!((ok.ticket, ok.iat), (ticket, live.iat));
        }
    }

    for case in &vectors.verify_cases {
        let ring: KeyRing = case.signing_keys.parse().unwrap();
        let event: EventId = case.event_id.parse().unwrap();
        let result = verify(&ring, &case.code, &event, case.now, Policy::default());
        match result {
            Ok(ok) => {
                assert_eq!(case.expect, "ok", "{}", case.name);
                assert_eq!(Some(ok.kind.to_string()), case.kind, "{}", case.name);
                assert_eq!(Some(ok.ticket.to_string()), case.ticket_id, "{}", case.name);
            }
            Err(reason) => {
                assert_eq!(reason.as_str(), case.expect, "{}", case.name);
                assert_eq!(
                    (&case.kind, &case.ticket_id),
                    (&None, &None),
                    "{}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn vectors_cover_every_reason_and_both_kinds() {
    let vectors = read_vectors();
    let expects: Vec<&str> = vectors
        .verify_cases
        .iter()
        .map(|c| c.expect.as_str())
        .collect();
    for expect in [
        "ok",
        "malformed",
        "unknown_key",
        "invalid_signature",
        "expired",
        "not_yet_valid",
    ] {
        assert!(expects.contains(&expect), "no case expects {expect}");
    }
    for kind in ["p", "l"] {
        assert!(
            vectors
                .verify_cases
                .iter()
                .any(|c| c.expect == "ok" && c.kind.as_deref() == Some(kind)),
            "no accepted case of kind {kind}"
        );
    }
    let mut names: Vec<&str> = vectors
        .verify_cases
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        vectors.verify_cases.len(),
        "case names must be unique"
    );
    let empty_mac = vectors
        .verify_cases
        .iter()
        .find(|c| c.name == "empty_mac")
        .unwrap();
    assert!(empty_mac.code.ends_with('.'));
    assert_eq!(empty_mac.expect, "malformed");
}

#[test]
fn docs_show_the_golden_values() {
    let docs = std::fs::read_to_string(docs_path()).unwrap();
    let vectors = read_vectors();
    let main = &vectors.tickets[0];
    for value in [
        &main.signing_keys,
        &main.print_mac_input_hex,
        &main.print_code,
        &main.display_key,
        &main.live_codes[0].code,
        &main.live_codes[0].mac_input_hex,
    ] {
        assert!(
            docs.contains(value.as_str()),
            "docs/qr-format.md lacks {value}"
        );
    }
}
