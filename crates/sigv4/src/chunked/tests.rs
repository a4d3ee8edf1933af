use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::{Options, Request};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AMZ_DATE: &str = "20130524T000000Z";
/// 20130524T000000Z in Unix seconds.
const NOW: i64 = 1_369_353_600;
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn ctx(seed: &str) -> ChunkSigningContext {
    ChunkSigningContext {
        signing_key: crate::signing_key(SECRET, "20130524", "us-east-1", "s3"),
        amz_date: AMZ_DATE.to_owned(),
        scope: "20130524/us-east-1/s3/aws4_request".to_owned(),
        seed_signature: seed.to_owned(),
    }
}

/// Feeds `pieces` in order; the data concatenated and the trailers, or the first error.
fn decode_pieces(
    mode: ChunkedMode,
    ctx: Option<ChunkSigningContext>,
    declared: Option<u64>,
    pieces: &[&[u8]],
) -> Result<(Vec<u8>, Trailers), ChunkError> {
    let mut dec = ChunkedDecoder::new(mode, ctx, declared)?;
    let mut out = Vec::new();
    for piece in pieces {
        dec.push(Bytes::copy_from_slice(piece), &mut out)?;
    }
    let trailers = dec.finish()?;
    Ok((out.concat(), trailers))
}

fn decode(
    mode: ChunkedMode,
    ctx: Option<ChunkSigningContext>,
    body: &[u8],
) -> Result<(Vec<u8>, Trailers), ChunkError> {
    decode_pieces(mode, ctx, None, &[body])
}

fn trailer(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// The AWS documentation's example request, signed by our client signer: its signature is the
/// documented seed, and the context the authorizer derives from it is ours.
#[test]
fn aws_example_seed_signature_and_context() {
    let headers: Vec<(String, String)> = [
        ("host", "s3.amazonaws.com"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    let added = crate::sign(
        "PUT",
        "/examplebucket/chunkObject.txt",
        "",
        &headers,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "AKIAIOSFODNN7EXAMPLE",
        SECRET,
        "us-east-1",
        "s3",
        NOW,
        Options::S3,
    );
    let all: Vec<(String, String)> = headers.into_iter().chain(added).collect();
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &all,
    };
    let auth = crate::parse(&req).expect("parses");
    assert_eq!(auth.signature, SEED);
    assert_eq!(
        ChunkSigningContext::for_request(&auth, SECRET),
        Some(ctx(SEED))
    );
    let presigned = Auth {
        presigned: Some(crate::Presigned { expires_secs: 60 }),
        ..auth.clone()
    };
    assert_eq!(ChunkSigningContext::for_request(&presigned, SECRET), None);
    let v4a = Auth {
        algorithm: Algorithm::EcdsaP256Sha256,
        region: None,
        ..auth
    };
    assert_eq!(ChunkSigningContext::for_request(&v4a, SECRET), None);
}

/// The example body with its documented signatures, written out by hand.
fn aws_example_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
    );
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(
        b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
    );
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(
        b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
    );
    body
}

#[test]
fn aws_example_decodes_and_encodes() {
    let body = aws_example_body();
    assert_eq!(body.len(), 66824, "the example's Content-Length");
    let (data, trailers) =
        decode_pieces(ChunkedMode::Signed, Some(ctx(SEED)), Some(66560), &[&body]).expect("valid");
    assert_eq!(data, vec![b'a'; 66560]);
    assert_eq!(trailers, Trailers::default());
    assert_eq!(encode_signed_chunks(&ctx(SEED), &data, 65536, &[]), body);
}

/// The AWS trailer example (sigv4-streaming-trailers), recomputed in s3-objects.md §8.3.
#[test]
fn aws_trailer_example() {
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let trailers = [trailer("x-amz-checksum-crc32c", "sOO8/Q==")];
    let body = encode_signed_chunks(&ctx(seed), &[b'a'; 66560], 65536, &trailers);
    let text = String::from_utf8_lossy(&body);
    for sig in [
        "10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n",
        "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n",
        "\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\nx-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n",
    ] {
        assert!(text.contains(sig), "{sig}");
    }
    let (data, got) = decode(ChunkedMode::SignedTrailer, Some(ctx(seed)), &body).expect("valid");
    assert_eq!(data.len(), 66560);
    assert_eq!(got.get("x-amz-checksum-crc32c"), Some("sOO8/Q=="));
    assert_eq!(got.fields.len(), 1);
}

#[test]
fn recognises_content_sha256_values() {
    for (value, mode) in [
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Some(ChunkedMode::Signed),
        ),
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Some(ChunkedMode::SignedTrailer),
        ),
        (
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            Some(ChunkedMode::UnsignedTrailer),
        ),
        (
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            Some(ChunkedMode::SignedEcdsa),
        ),
        (
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
            Some(ChunkedMode::SignedEcdsa),
        ),
        ("STREAMING-UNSIGNED-PAYLOAD", None),
        ("UNSIGNED-PAYLOAD", None),
        (EMPTY_SHA256, None),
    ] {
        assert_eq!(ChunkedMode::from_content_sha256(value), mode, "{value}");
    }
}

#[test]
fn constructor_refusals() {
    assert_eq!(
        ChunkedDecoder::new(ChunkedMode::SignedEcdsa, Some(ctx(SEED)), None).err(),
        Some(ChunkError::NotImplemented)
    );
    assert!(matches!(
        ChunkedDecoder::new(ChunkedMode::Signed, None, None).err(),
        Some(ChunkError::Malformed(_))
    ));
    assert!(ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, None, None).is_ok());
}

#[test]
fn debug_never_shows_the_key() {
    let c = ctx(SEED);
    let shown = format!("{c:?}");
    assert!(shown.contains("<redacted>"));
    assert!(!shown.contains(&hex::encode(c.signing_key)));
    assert!(!shown.contains(&format!("{:?}", c.signing_key)));
}

/// A small signed body with several chunks and a trailer, for the split and tamper tests.
fn small_body() -> (Vec<u8>, Vec<u8>) {
    let data: Vec<u8> = (0u8..=99).collect();
    let body = encode_signed_chunks(
        &ctx(SEED),
        &data,
        7,
        &[trailer("x-amz-checksum-crc32", "AAAAAA==")],
    );
    (data, body)
}

/// Splits `body` at the given cut points (sorted, deduplicated, clamped).
fn split_at<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([body.len()]) {
        pieces.push(body.get(start..cut).unwrap_or_default());
        start = cut;
    }
    pieces
}

#[test]
fn every_split_gives_the_same_result() {
    let (data, body) = small_body();
    let whole = decode(ChunkedMode::SignedTrailer, Some(ctx(SEED)), &body).expect("valid");
    assert_eq!(whole.0, data);
    assert_eq!(whole.1.get("x-amz-checksum-crc32"), Some("AAAAAA=="));
    let decl = Some(data.len() as u64);
    let one =
        |pieces: &[&[u8]]| decode_pieces(ChunkedMode::SignedTrailer, Some(ctx(SEED)), decl, pieces);
    for cut in 0..=body.len() {
        assert_eq!(
            one(&split_at(&body, &[cut])).as_ref(),
            Ok(&whole),
            "cut {cut}"
        );
    }
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(one(&bytes).as_ref(), Ok(&whole), "byte by byte");
    // Deterministic pseudo-random splits (xorshift).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200 {
        let cuts: Vec<usize> = (0..6)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                usize::try_from(x % 1024).unwrap_or(0)
            })
            .collect();
        assert_eq!(
            one(&split_at(&body, &cuts)).as_ref(),
            Ok(&whole),
            "{cuts:?}"
        );
    }
}

/// Replaces the first occurrence of `from` in `body`.
fn replace(body: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(body).into_owned();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn tampering_is_a_signature_mismatch() {
    let (_, body) = small_body();
    let text = String::from_utf8_lossy(&body).into_owned();
    let first_sig = text
        .split("chunk-signature=")
        .nth(1)
        .and_then(|s| s.get(..64))
        .expect("signature");
    let final_sig = text
        .rsplit("0;chunk-signature=")
        .next()
        .and_then(|s| s.get(..64))
        .expect("final signature");
    let mut flipped_sig = first_sig.to_owned();
    flipped_sig.replace_range(0..1, if first_sig.starts_with('0') { "1" } else { "0" });
    let mut flipped_data = body.clone();
    // The first chunk's data starts right after its header line.
    let data_at = text.find("\r\n").expect("header") + 2;
    if let Some(b) = flipped_data.get_mut(data_at) {
        *b ^= 1;
    }
    let trailer_sig_at = text
        .find("x-amz-trailer-signature:")
        .expect("trailer signature")
        + 24;
    let mut flipped_trailer_sig = body.clone();
    if let Some(b) = flipped_trailer_sig.get_mut(trailer_sig_at) {
        *b = if *b == b'0' { b'1' } else { b'0' };
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("chunk data", flipped_data),
        ("chunk signature", replace(&body, first_sig, &flipped_sig)),
        (
            "final chunk signature",
            replace(&body, final_sig, &"0".repeat(64)),
        ),
        ("trailer value", replace(&body, "AAAAAA==", "AAAAAB==")),
        (
            "trailer name",
            replace(&body, "x-amz-checksum-crc32:", "x-amz-checksum-crc32c:"),
        ),
        ("trailer signature", flipped_trailer_sig),
    ];
    for (what, tampered) in cases {
        assert_eq!(
            decode(ChunkedMode::SignedTrailer, Some(ctx(SEED)), &tampered).err(),
            Some(ChunkError::SignatureDoesNotMatch),
            "{what}"
        );
    }
    // Another seed (another request's signature) breaks the chain at the first chunk.
    assert_eq!(
        decode(
            ChunkedMode::SignedTrailer,
            Some(ctx(&"1".repeat(64))),
            &body
        )
        .err(),
        Some(ChunkError::SignatureDoesNotMatch)
    );
}

#[test]
fn unsigned_trailer_as_botocore_sends_it() {
    let body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let want = |r: Result<(Vec<u8>, Trailers), ChunkError>| {
        let (data, trailers) = r.expect("valid");
        assert_eq!(data, b"hello world");
        assert_eq!(trailers.get("x-amz-checksum-crc32"), Some("DUoRhQ=="));
    };
    want(decode_pieces(
        ChunkedMode::UnsignedTrailer,
        None,
        Some(11),
        &[body],
    ));
    // Upper-case hex, a stray LF after the value, a missing final CRLF, and a context that
    // an unsigned body does not need.
    want(decode(
        ChunkedMode::UnsignedTrailer,
        Some(ctx(SEED)),
        b"B\r\nhello world\r\n0\r\nX-Amz-Checksum-CRC32: DUoRhQ==\n\r\n\r\n",
    ));
    want(decode(
        ChunkedMode::UnsignedTrailer,
        None,
        b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n",
    ));
    // Every split of the body.
    for cut in 0..=body.len() {
        want(decode_pieces(
            ChunkedMode::UnsignedTrailer,
            None,
            None,
            &split_at(body, &[cut]),
        ));
    }
}

#[test]
fn signed_body_without_trailer_may_omit_the_final_crlf() {
    let body = aws_example_body();
    let cut = body.get(..body.len() - 2).unwrap_or_default();
    assert!(decode(ChunkedMode::Signed, Some(ctx(SEED)), cut).is_ok());
}

#[test]
fn garbage_is_refused() {
    let signed = |body: &[u8]| decode(ChunkedMode::SignedTrailer, Some(ctx(SEED)), body).err();
    let unsigned = |body: &[u8]| decode(ChunkedMode::UnsignedTrailer, None, body).err();
    let is_malformed = |e: Option<ChunkError>| matches!(e, Some(ChunkError::Malformed(_)));
    for (what, body) in [
        ("bad hex size", &b"zz\r\nhello\r\n0\r\n\r\n"[..]),
        ("empty size", b"\r\n0\r\n\r\n"),
        ("size too long", b"00000000000000001\r\na\r\n0\r\n\r\n"),
        ("sign in size", b"+5\r\nhello\r\n0\r\n\r\n"),
        ("space in size", b"5 \r\nhello\r\n0\r\n\r\n"),
        ("bare LF header", b"5\nhello\r\n0\r\n\r\n"),
        ("missing CRLF after data", b"5\r\nhelloX\r\n0\r\n\r\n"),
        ("LF only after data", b"5\r\nhello\n0\r\n\r\n"),
        ("extension", b"5;foo=bar\r\nhello\r\n0\r\n\r\n"),
        (
            "signature when unsigned",
            b"5;chunk-signature=00\r\nhello\r\n0\r\n\r\n",
        ),
        ("data after the last chunk", b"0\r\n\r\nextra"),
        (
            "trailer without colon",
            b"0\r\nx-amz-checksum-crc32\r\n\r\n",
        ),
        ("empty trailer name", b"0\r\n:abc\r\n\r\n"),
        ("bad trailer name", b"0\r\nx amz:abc\r\n\r\n"),
        ("duplicate trailer", b"0\r\na:1\r\na:2\r\n\r\n"),
        ("control char in value", b"0\r\na:1\x002\r\n\r\n"),
        ("bare LF inside value", b"0\r\na:1\n2\r\n\r\n"),
        (
            "trailer signature when unsigned",
            b"0\r\nx-amz-trailer-signature:00\r\n\r\n",
        ),
    ] {
        assert!(is_malformed(unsigned(body)), "{what}: {:?}", unsigned(body));
    }
    assert!(is_malformed(unsigned(
        &[b"0\r\nx:".as_slice(), &[b'a'; MAX_LINE], b"\r\n\r\n"].concat()
    )));
    let many: String = (0..=MAX_TRAILERS).map(|i| format!("t{i}:v\r\n")).collect();
    assert!(is_malformed(unsigned(
        format!("0\r\n{many}\r\n").as_bytes()
    )));
    let fine: String = (0..MAX_TRAILERS).map(|i| format!("t{i}:v\r\n")).collect();
    assert_eq!(unsigned(format!("0\r\n{fine}\r\n").as_bytes()), None);

    let (_, body) = small_body();
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(is_malformed(signed(
        &replace(&body, ";chunk-signature=", ";chunk-signature=0").clone()
    )));
    assert!(is_malformed(signed(&replace(
        &body,
        ";chunk-signature=",
        ";chunk-sig="
    ))));
    assert!(is_malformed(signed(&replace(
        &body,
        ";chunk-signature=",
        "\r\n"
    ))));
    let no_sig = text.split(";chunk-signature=").next().unwrap_or_default();
    assert!(is_malformed(signed(format!("{no_sig}\r\n").as_bytes())));
    // The trailer signature is required, must come last, and only in the -TRAILER mode.
    let cut = text.find("x-amz-trailer-signature").expect("present");
    let without = format!("{}\r\n", text.get(..cut).unwrap_or_default());
    assert!(is_malformed(signed(without.as_bytes())));
    let after = format!(
        "{}z:1\r\n\r\n",
        text.get(..text.len() - 2).unwrap_or_default()
    );
    assert!(is_malformed(signed(after.as_bytes())));
    assert!(is_malformed(
        decode(ChunkedMode::Signed, Some(ctx(SEED)), &body).err()
    ));
}

#[test]
fn truncated_bodies_are_incomplete() {
    let (_, body) = small_body();
    // Only the final CRLF may be missing (see `finish`).
    for len in (0..body.len() - 2).chain([body.len() - 1]) {
        let prefix = body.get(..len).unwrap_or_default();
        assert_eq!(
            decode(ChunkedMode::SignedTrailer, Some(ctx(SEED)), prefix).err(),
            Some(ChunkError::IncompleteBody),
            "{len}"
        );
    }
    assert_eq!(
        decode(ChunkedMode::UnsignedTrailer, None, b"5\r\nhel").err(),
        Some(ChunkError::IncompleteBody)
    );
    assert_eq!(
        decode(ChunkedMode::UnsignedTrailer, None, b"").err(),
        Some(ChunkError::IncompleteBody)
    );
}

#[test]
fn decoded_length_is_checked() {
    let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let run = |declared| decode_pieces(ChunkedMode::UnsignedTrailer, None, Some(declared), &[body]);
    assert!(run(11).is_ok());
    assert_eq!(
        run(12).err(),
        Some(ChunkError::DecodedLengthMismatch {
            declared: 12,
            decoded: 11
        })
    );
    // Refused at the header that overshoots, before its data is handed out.
    let mut dec = ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, None, Some(7)).expect("new");
    let mut out = Vec::new();
    assert_eq!(
        dec.push(Bytes::from_static(body), &mut out).err(),
        Some(ChunkError::DecodedLengthMismatch {
            declared: 7,
            decoded: 11
        })
    );
    assert_eq!(out.concat(), b"hello");
    // A failed decoder stays failed.
    assert!(
        dec.push(Bytes::from_static(b"0\r\n\r\n"), &mut out)
            .is_err()
    );
    assert!(dec.finish().is_err());
}

#[test]
fn data_is_handed_out_without_waiting_for_the_chunk_end() {
    let mut dec = ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, None, None).expect("new");
    let mut out = Vec::new();
    dec.push(Bytes::from_static(b"ff\r\nabc"), &mut out)
        .expect("ok");
    assert_eq!(out.concat(), b"abc");
}

#[test]
fn chunk_size_zero_is_one() {
    let body = encode_signed_chunks(&ctx(SEED), b"abc", 0, &[]);
    let (data, _) = decode(ChunkedMode::Signed, Some(ctx(SEED)), &body).expect("valid");
    assert_eq!(data, b"abc");
    let empty = encode_signed_chunks(&ctx(SEED), b"", 10, &[]);
    assert!(empty.starts_with(b"0;chunk-signature="));
    assert!(decode(ChunkedMode::Signed, Some(ctx(SEED)), &empty).is_ok());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
        mode in 0u8..3,
    ) {
        let mode = match mode {
            0 => ChunkedMode::Signed,
            1 => ChunkedMode::SignedTrailer,
            _ => ChunkedMode::UnsignedTrailer,
        };
        let _ = decode_pieces(mode, Some(ctx(SEED)), Some(10), &split_at(&body, &cuts));
    }

    #[test]
    fn mutated_valid_bodies_never_panic(
        at in any::<usize>(),
        byte in any::<u8>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let (_, mut body) = small_body();
        let len = body.len();
        if let Some(b) = body.get_mut(at % len) {
            *b = byte;
        }
        let _ = decode_pieces(ChunkedMode::SignedTrailer, Some(ctx(SEED)), None, &split_at(&body, &cuts));
    }

    #[test]
    fn round_trips(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        chunk_size in 1usize..64,
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        with_trailer in any::<bool>(),
    ) {
        let trailers: Vec<(String, String)> =
            if with_trailer { vec![trailer("x-amz-checksum-sha256", "abc=")] } else { vec![] };
        let mode = if with_trailer { ChunkedMode::SignedTrailer } else { ChunkedMode::Signed };
        let body = encode_signed_chunks(&ctx(SEED), &data, chunk_size, &trailers);
        let (got, got_trailers) = decode_pieces(
            mode, Some(ctx(SEED)), Some(data.len() as u64), &split_at(&body, &cuts),
        ).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, data);
        prop_assert_eq!(got_trailers.fields, trailers);
    }
}
