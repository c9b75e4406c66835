//! The one cryptography tokens need: HMAC with SHA-2, as a jsonwebtoken provider. The crate's
//! own provider links every JWT algorithm (RSA, ECDSA, EdDSA, with their big-number and curve
//! crates) into every function, although verification is pinned to HS256 ([`super::jwt`]);
//! HS384 and HS512 are here so that such tokens are read and then refused by the pin.

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::{Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

/// One HMAC key with its algorithm; signs and verifies.
enum HmacKey {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
}

impl HmacKey {
    fn new(algorithm: Algorithm, family: AlgorithmFamily, secret: &[u8]) -> Result<Self> {
        if family != AlgorithmFamily::Hmac {
            return Err(ErrorKind::InvalidKeyFormat.into());
        }
        let invalid = |_| ErrorKind::InvalidKeyFormat;
        Ok(match algorithm {
            Algorithm::HS256 => Self::Hs256(Hmac::new_from_slice(secret).map_err(invalid)?),
            Algorithm::HS384 => Self::Hs384(Hmac::new_from_slice(secret).map_err(invalid)?),
            Algorithm::HS512 => Self::Hs512(Hmac::new_from_slice(secret).map_err(invalid)?),
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        })
    }

    fn mac(&self, message: &[u8]) -> Vec<u8> {
        fn run<M: Mac + Clone>(key: &M, message: &[u8]) -> Vec<u8> {
            let mut mac = key.clone();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Self::Hs256(k) => run(k, message),
            Self::Hs384(k) => run(k, message),
            Self::Hs512(k) => run(k, message),
        }
    }

    fn check(&self, message: &[u8], tag: &[u8]) -> bool {
        // Constant time, as `Mac::verify_slice`; a tag of another length is simply unequal.
        self.mac(message).ct_eq(tag).into()
    }
}

impl Signer<Vec<u8>> for HmacKey {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.mac(message))
    }
}

impl Verifier<Vec<u8>> for HmacKey {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        match self.check(message, tag) {
            true => Ok(()),
            false => Err(signature::Error::new()),
        }
    }
}

impl JwtSigner for HmacKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Hs256(_) => Algorithm::HS256,
            Self::Hs384(_) => Algorithm::HS384,
            Self::Hs512(_) => Algorithm::HS512,
        }
    }
}

impl JwtVerifier for HmacKey {
    fn algorithm(&self) -> Algorithm {
        JwtSigner::algorithm(self)
    }
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: |algorithm, key: &EncodingKey| {
        let key = HmacKey::new(*algorithm, key.family(), key.as_bytes())?;
        Ok(Box::new(key) as Box<dyn JwtSigner>)
    },
    verifier_factory: |algorithm, key: &DecodingKey| {
        let key = HmacKey::new(*algorithm, key.family(), key.try_get_as_bytes()?)?;
        Ok(Box::new(key) as Box<dyn JwtVerifier>)
    },
    // No JWKs: keys are a shared secret.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes the HMAC provider the process's jsonwebtoken provider; later calls do nothing. Must
/// run before anything signs or verifies a token (jsonwebtoken otherwise settles on a provider
/// that panics): [`super::JwtKeys::new`] runs it, and so must code that calls jsonwebtoken
/// directly, as tests forging tokens do.
pub fn install() {
    if let Err(existing) = PROVIDER.install_default() {
        assert!(
            std::ptr::eq(existing, &PROVIDER),
            "a token was signed or verified before the HMAC provider was installed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_matches_rfc_4231_test_case_2() {
        let key = HmacKey::new(Algorithm::HS256, AlgorithmFamily::Hmac, b"Jefe").unwrap();
        let tag = key.mac(b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(key.check(b"what do ya want for nothing?", &tag));
        assert!(!key.check(b"what do ya want for nothing!", &tag));
        assert!(!key.check(b"what do ya want for nothing?", &tag[..31]));
    }

    #[test]
    fn only_hmac_algorithms_and_keys_are_accepted() {
        for algorithm in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
            assert!(HmacKey::new(algorithm, AlgorithmFamily::Hmac, b"k").is_err());
        }
        assert!(HmacKey::new(Algorithm::HS256, AlgorithmFamily::Rsa, b"k").is_err());
    }
}
