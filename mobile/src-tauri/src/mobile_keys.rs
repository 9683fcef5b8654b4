//! Device keys in the phone's keystore (Android Keystore, iOS Keychain),
//! through a small native plugin: `android/keystore/KeystorePlugin.kt` and
//! `ios/KeystorePlugin.swift`. The private key is generated and used inside
//! the platform store; Rust only receives the public key and signatures.
//!
//! Compiled for mobile targets only (`cfg(mobile)`); these targets cannot be
//! built on the CI machine (no Android SDK/NDK, no Xcode), so this file and
//! the native plugins are written against the documented Tauri 2 mobile
//! plugin API and reviewed, not built here (ADR 0022).

use std::sync::Arc;

use base64::Engine as _;
use passregion_core::client::SharedSigner;
use passregion_core::credential::keys::SIGNATURE_LEN;
use passregion_core::credential::{DeviceSigner, KeyError, PublicKey};
use serde::{Deserialize, Serialize};
use tauri::plugin::{Builder, PluginHandle, TauriPlugin};
use tauri::{Manager, Runtime};

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_keystore);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyArgs<'a> {
    purpose: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignArgs<'a> {
    purpose: &'a str,
    /// base64url, no padding.
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyAnswer {
    /// The raw 32-byte Ed25519 public key, base64url.
    public_key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureAnswer {
    /// The 64-byte Ed25519 signature, base64url.
    signature: String,
}

/// The native keystore plugin.
pub struct Keystore<R: Runtime>(PluginHandle<R>);

/// A device key kept by the phone's keystore.
pub struct PlatformSigner<R: Runtime> {
    handle: PluginHandle<R>,
    purpose: String,
    public: PublicKey,
}

impl<R: Runtime> DeviceSigner for PlatformSigner<R> {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], KeyError> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let answer: SignatureAnswer = self
            .handle
            .run_mobile_plugin(
                "sign",
                SignArgs {
                    purpose: &self.purpose,
                    message: b64.encode(message),
                },
            )
            .map_err(|_| KeyError::Signer)?;
        let bytes = b64.decode(answer.signature).map_err(|_| KeyError::Signer)?;
        bytes.try_into().map_err(|_| KeyError::Signer)
    }
}

impl<R: Runtime> Keystore<R> {
    /// The key of `purpose`, created in the keystore the first time.
    pub fn signer(&self, purpose: &str) -> Option<SharedSigner> {
        let answer: PublicKeyAnswer = self
            .0
            .run_mobile_plugin("publicKey", KeyArgs { purpose })
            .ok()?;
        let public = PublicKey::from_base64(&answer.public_key).ok()?;
        Some(Arc::new(PlatformSigner {
            handle: self.0.clone(),
            purpose: purpose.to_owned(),
            public,
        }))
    }
}

/// The plugin to register on mobile builds.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("passregion-keystore")
        .setup(|app, api| {
            #[cfg(target_os = "android")]
            let handle = api.register_android_plugin("fr.passregion.keystore", "KeystorePlugin")?;
            #[cfg(target_os = "ios")]
            let handle = api.register_ios_plugin(init_plugin_keystore)?;
            app.manage(Keystore(handle));
            Ok(())
        })
        .build()
}
