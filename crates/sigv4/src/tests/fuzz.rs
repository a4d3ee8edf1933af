//! Deterministic pseudo-random inputs: nothing in the crate may panic on them.

use crate::{Options, Request, canonical_request, parse, sign, verify};

/// Small xorshift generator, so the test needs no extra dependency and is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.next() % items.len() as u64).unwrap_or(0);
        items.get(i).copied().unwrap_or("")
    }

    fn text(&mut self, parts: &[&str]) -> String {
        let n = self.next() % 8;
        (0..n).map(|_| self.pick(parts)).collect()
    }
}

const PIECES: &[&str] = &[
    "AWS4-HMAC-SHA256 ",
    "AWS4-ECDSA-P256-SHA256 ",
    "Credential=",
    "SignedHeaders=",
    "Signature=",
    "AK/20150830/us-west-2/s3/aws4_request",
    "AK/20150830/s3/aws4_request",
    "host;x-amz-date",
    ",",
    ", ",
    "=",
    "/",
    "%",
    "%2",
    "%zz",
    "%E1%88",
    "ሴ",
    " ",
    "\t",
    ";",
    "&",
    "?",
    "..",
    ".",
    "20150830T123600Z",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    "X-Amz-Expires=99999999999999999999999",
    "X-Amz-Signature=",
    "X-Amz-Credential=AK%2F20150830%2Fus-west-2%2Fs3%2Faws4_request",
    "X-Amz-Date=20150830T123600Z",
    "X-Amz-SignedHeaders=host",
    "X-Amz-Expires=60",
    "abcdef0123456789",
    "30440220",
    "",
];

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let path = rng.text(PIECES);
        let query = rng.text(PIECES);
        let headers = [
            ("Host".to_owned(), rng.text(PIECES)),
            (
                "x-amz-date".to_owned(),
                rng.pick(&[
                    "20150830T123600Z",
                    "",
                    "Sun, 30 Aug 2015 12:36:00 GMT",
                    "2015",
                ])
                .to_owned(),
            ),
            ("Date".to_owned(), rng.text(PIECES)),
            ("Authorization".to_owned(), rng.text(PIECES)),
        ];
        let n = usize::try_from(rng.next() % 5).unwrap_or(0);
        let headers = headers.get(..n).unwrap_or_default();
        let req = Request {
            method: "GET",
            path: &path,
            query: &query,
            headers,
        };
        if let Ok(auth) = parse(&req) {
            for opts in [Options::S3, Options::DEFAULT] {
                let _ = canonical_request(&req, &auth, "UNSIGNED-PAYLOAD", opts);
                let _ = verify(&req, &auth, "UNSIGNED-PAYLOAD", "s", i64::MAX, &[opts]);
                let _ = verify(&req, &auth, "UNSIGNED-PAYLOAD", "s", i64::MIN, &[opts]);
                let _ = verify(&req, &auth, "UNSIGNED-PAYLOAD", "s", 1_440_938_160, &[opts]);
            }
        }
        let _ = sign(
            "GET",
            &path,
            &query,
            headers,
            "",
            "AK",
            "s",
            "r",
            "s3",
            rng.next() as i64,
            Options::DEFAULT,
        );
    }
}
