//! The local certificate authority of proxy mode.
//!
//! The CA lives in one directory (default `{MRAP_DATA_DIR}/proxy-ca`): `ca.pem`, the certificate
//! clients trust (`AWS_CA_BUNDLE`), and `ca-key.pem`, its private key (mode 0600 from the moment
//! it is created, never logged).
//! The first gateway to start creates both; every later start, and every other gateway on the
//! same directory, reuses them. Creation cannot race into two CAs: each file is written to a
//! private temporary file and then hard-linked to its final name, which fails if the name exists,
//! so exactly one key wins and everybody reads that one; `ca.pem` is made from whichever key won
//! the same way. A crash between the two steps leaves a key without a certificate, which the next
//! start completes.
//!
//! Each start also issues a fresh leaf certificate for `*.mrap.accesspoint.s3-global.amazonaws.com`
//! (kept in memory only), checks that it verifies against `ca.pem` for an MRAP host, and builds
//! the TLS server configuration from it. One wildcard covers every MRAP data-plane host: an alias
//! is `{label}.mrap`, so the host is `{label}.mrap.accesspoint.s3-global.amazonaws.com`. The CA is
//! name-constrained to `mrap.accesspoint.s3-global.amazonaws.com`, so its key cannot vouch for any
//! other host even if it leaks.

use std::{
    fs,
    io::{self, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::Arc,
};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::{
    RootCertStore, ServerConfig,
    client::{WebPkiServerVerifier, danger::ServerCertVerifier},
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime, pem::PemObject},
};

/// The DNS subtree every certificate of this CA is limited to.
pub const MRAP_DOMAIN: &str = "mrap.accesspoint.s3-global.amazonaws.com";
/// The leaf's only name.
pub const LEAF_NAME: &str = "*.mrap.accesspoint.s3-global.amazonaws.com";
/// File names inside the CA directory.
pub const CERT_FILE: &str = "ca.pem";
pub const KEY_FILE: &str = "ca-key.pem";

/// How long a leaf issued at start-up stays valid (a gateway running longer than this needs a
/// restart; clients reject an expired leaf with a clear certificate error).
const LEAF_DAYS: i64 = 397;

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("proxy CA: {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("proxy CA: {0}")]
    Invalid(String),
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CaError + use<> {
    let path = path.to_path_buf();
    move |source| CaError::Io { what, path, source }
}

/// A loaded (or just created) CA: its certificate as distributed and its signing key.
pub struct LocalCa {
    cert_path: PathBuf,
    cert_pem: String,
    key: KeyPair,
}

impl std::fmt::Debug for LocalCa {
    // The key stays out of every log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

/// The CA's certificate parameters (also used to re-make `ca.pem` from an existing key).
fn ca_params() -> Result<CertificateParams, CaError> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(invalid)?;
    p.distinguished_name
        .push(DnType::CommonName, "mrap local proxy CA");
    p.distinguished_name
        .push(DnType::OrganizationName, "mrap (self-hosted S3 MRAP)");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName(MRAP_DOMAIN.to_owned())],
        excluded_subtrees: Vec::new(),
    });
    Ok(p)
}

fn invalid(e: impl std::fmt::Display) -> CaError {
    CaError::Invalid(e.to_string())
}

impl LocalCa {
    /// Loads the CA from `dir`, creating the directory and the CA on first use. The directory
    /// is 0755 so that other local users can read `ca.pem`; the key file itself is 0600.
    pub fn load_or_create(dir: &Path) -> Result<LocalCa, CaError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(io_err("cannot create the directory", dir))?;
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);

        if !key_path.exists() {
            let key = KeyPair::generate().map_err(invalid)?;
            publish_once(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
        }
        let key_pem =
            fs::read_to_string(&key_path).map_err(io_err("cannot read the key", &key_path))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| {
            CaError::Invalid(format!(
                "{} is not a usable private key ({e}); delete it and {CERT_FILE} to make a new CA",
                key_path.display()
            ))
        })?;
        warn_if_readable_by_others(&key_path);

        if !cert_path.exists() {
            let cert = ca_params()?.self_signed(&key).map_err(invalid)?;
            publish_once(&cert_path, cert.pem().as_bytes(), 0o644)?;
        }
        let cert_pem = fs::read_to_string(&cert_path)
            .map_err(io_err("cannot read the certificate", &cert_path))?;
        Ok(LocalCa {
            cert_path,
            cert_pem,
            key,
        })
    }

    /// `ca.pem`: what clients put in `AWS_CA_BUNDLE`.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// The CA certificate as distributed (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a fresh leaf for [`LEAF_NAME`], checks it against `ca.pem`, and returns the TLS
    /// server configuration that presents it (HTTP/1.1 by ALPN).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, CaError> {
        let (leaf_der, leaf_key) = self.issue_leaf()?;
        let ca_der = CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).map_err(|e| {
            CaError::Invalid(format!(
                "{} holds no PEM certificate ({e})",
                self.cert_path.display()
            ))
        })?;
        verify_leaf(&ca_der, &leaf_der).map_err(|e| {
            CaError::Invalid(format!(
                "a certificate signed by {KEY_FILE} does not verify against {} ({e}); the two \
                 files do not belong together: delete both to make a new CA",
                self.cert_path.display()
            ))
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(vec![leaf_der, ca_der], leaf_key)
            .map_err(invalid)?;
        // HTTP/1.1 only: the signature check reads the `host` header, which HTTP/2 does not send.
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }

    fn issue_leaf(&self) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), CaError> {
        let issuer = Issuer::new(ca_params()?, &self.key);
        let mut leaf = CertificateParams::new(vec![LEAF_NAME.to_owned()]).map_err(invalid)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "mrap proxy (MRAP data plane)");
        leaf.is_ca = IsCa::ExplicitNoCa;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        // Python 3.13+ (VERIFY_X509_STRICT) rejects a leaf without it.
        leaf.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        leaf.not_before = now - time::Duration::days(1);
        leaf.not_after = now + time::Duration::days(LEAF_DAYS);
        let leaf_key = KeyPair::generate().map_err(invalid)?;
        let cert = leaf.signed_by(&leaf_key, &issuer).map_err(invalid)?;
        let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(invalid)?;
        Ok((cert.der().clone(), key))
    }
}

/// Verifies `leaf` as a server certificate for an MRAP host with `ca` as the only root.
fn verify_leaf(ca: &CertificateDer<'static>, leaf: &CertificateDer<'static>) -> Result<(), String> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from(format!("check.{MRAP_DOMAIN}")).map_err(|e| e.to_string())?;
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Writes `contents` to `path` unless `path` already exists, atomically: a private temporary
/// file in the same directory, flushed, then hard-linked to `path` (`link(2)` never replaces).
/// Losing the race to another process is not an error: the caller reads the winner's file.
fn publish_once(path: &Path, contents: &[u8], mode: u32) -> Result<(), CaError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("cannot write", &tmp)(e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "proxy CA: created");
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err("cannot create", path)(e)),
    }
}

fn warn_if_readable_by_others(key_path: &Path) {
    if let Ok(meta) = fs::metadata(key_path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %key_path.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "proxy CA: the private key is readable by other users; chmod 600 it"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn leaf_of(ca: &LocalCa) -> CertificateDer<'static> {
        ca.issue_leaf().unwrap().0
    }

    fn ca_der(ca: &LocalCa) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap()
    }

    #[test]
    fn first_start_creates_a_ca_that_later_starts_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let ca_dir = dir.path().join("nested/proxy-ca");
        let first = LocalCa::load_or_create(&ca_dir).unwrap();
        first.server_config().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ca_dir.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&ca_dir.join(CERT_FILE)) & 0o600, 0o600);
        assert_eq!(first.cert_path(), ca_dir.join(CERT_FILE));

        let second = LocalCa::load_or_create(&ca_dir).unwrap();
        assert_eq!(first.cert_pem(), second.cert_pem());
        // A leaf issued after the restart verifies against the ca.pem of the first start.
        verify_leaf(&ca_der(&first), &leaf_of(&second)).unwrap();
        // No temporary files are left behind.
        let mut names: Vec<_> = fs::read_dir(&ca_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [KEY_FILE, CERT_FILE]);
    }

    #[test]
    fn the_leaf_covers_mrap_hosts_only() {
        let dir = tempfile::tempdir().unwrap();
        let ca = LocalCa::load_or_create(dir.path()).unwrap();
        let (ca_der, leaf) = (ca_der(&ca), leaf_of(&ca));
        let check = |host: &str| {
            let mut roots = RootCertStore::empty();
            roots.add(ca_der.clone()).unwrap();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            let name = ServerName::try_from(host.to_owned()).unwrap();
            verifier
                .verify_server_cert(&leaf, &[], &name, &[], UnixTime::now())
                .is_ok()
        };
        assert!(check(
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
        ));
        assert!(!check("a.b.mrap.accesspoint.s3-global.amazonaws.com"));
        assert!(!check("s3.amazonaws.com"));
        assert!(!check("example.com"));
    }

    #[test]
    fn the_ca_cannot_vouch_for_other_hosts() {
        // Name constraints: even a leaf the CA key signs for another name does not verify.
        let dir = tempfile::tempdir().unwrap();
        let ca = LocalCa::load_or_create(dir.path()).unwrap();
        let issuer = Issuer::new(ca_params().unwrap(), &ca.key);
        let mut leaf = CertificateParams::new(vec!["example.com".to_owned()]).unwrap();
        leaf.use_authority_key_identifier_extension = true;
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let cert = leaf.signed_by(&key, &issuer).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(ca_der(&ca)).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        let name = ServerName::try_from("example.com").unwrap();
        assert!(
            verifier
                .verify_server_cert(cert.der(), &[], &name, &[], UnixTime::now())
                .is_err()
        );
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_ca() {
        let dir = tempfile::tempdir().unwrap();
        let ca_dir = dir.path().join("proxy-ca");
        let certs: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| LocalCa::load_or_create(&ca_dir).unwrap()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().cert_pem().to_owned())
                .collect()
        });
        assert!(certs.iter().all(|c| c == &certs[0]), "one CA for all");
        assert_eq!(fs::read_dir(&ca_dir).unwrap().count(), 2);
    }

    #[test]
    fn a_key_without_its_certificate_is_completed() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalCa::load_or_create(dir.path()).unwrap();
        fs::remove_file(dir.path().join(CERT_FILE)).unwrap();
        let again = LocalCa::load_or_create(dir.path()).unwrap();
        // A new ca.pem for the same key: old leaves verify against it and vice versa.
        verify_leaf(&ca_der(&again), &leaf_of(&first)).unwrap();
        again.server_config().unwrap();
    }

    #[test]
    fn broken_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        let err = LocalCa::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a usable private key"), "{err}");

        // A certificate of another CA next to this key.
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        LocalCa::load_or_create(dir.path()).unwrap();
        LocalCa::load_or_create(other.path()).unwrap();
        fs::copy(other.path().join(CERT_FILE), dir.path().join(CERT_FILE)).unwrap();
        let err = LocalCa::load_or_create(dir.path())
            .unwrap()
            .server_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not belong together"), "{err}");

        fs::write(dir.path().join(CERT_FILE), "garbage").unwrap();
        let err = LocalCa::load_or_create(dir.path())
            .unwrap()
            .server_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("no PEM certificate"), "{err}");
    }
}
