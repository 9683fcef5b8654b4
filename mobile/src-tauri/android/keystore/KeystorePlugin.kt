// The partner's and the youth's device keys in the Android Keystore
// (Ed25519, Android 13 / API 33 and later). The private key is generated and
// used inside the Keystore (hardware-backed where the phone has it) and never
// leaves it: the app gets the public key once and a signature per message.
// Called from Rust through the Tauri mobile plugin API (src/mobile_keys.rs).
// Not built on the CI machine (no Android SDK); see ADR 0022.
package fr.passregion.keystore

import android.app.Activity
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec

@InvokeArg
class KeyArgs {
    lateinit var purpose: String
}

@InvokeArg
class SignArgs {
    lateinit var purpose: String
    lateinit var message: String
}

@TauriPlugin
class KeystorePlugin(private val activity: Activity) : Plugin(activity) {
    private val store: KeyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }

    private fun alias(purpose: String): String {
        require(purpose == "partner" || purpose == "youth") { "unknown purpose" }
        return "fr.passregion.device.$purpose"
    }

    private fun ensureKey(purpose: String) {
        val alias = alias(purpose)
        if (store.containsAlias(alias)) return
        val gen = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, "AndroidKeyStore")
        gen.initialize(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
                .setAlgorithmParameterSpec(ECGenParameterSpec("ed25519"))
                .setDigests(KeyProperties.DIGEST_NONE)
                .build()
        )
        gen.generateKeyPair()
    }

    private fun b64(bytes: ByteArray): String =
        Base64.encodeToString(bytes, Base64.URL_SAFE or Base64.NO_PADDING or Base64.NO_WRAP)

    @Command
    fun publicKey(invoke: Invoke) {
        try {
            val args = invoke.parseArgs(KeyArgs::class.java)
            ensureKey(args.purpose)
            val encoded = store.getCertificate(alias(args.purpose)).publicKey.encoded
            // X.509 SubjectPublicKeyInfo of Ed25519: the raw key is the last 32 bytes.
            val raw = encoded.copyOfRange(encoded.size - 32, encoded.size)
            invoke.resolve(JSObject().put("publicKey", b64(raw)))
        } catch (e: Exception) {
            invoke.reject("keystore unavailable")
        }
    }

    @Command
    fun sign(invoke: Invoke) {
        try {
            val args = invoke.parseArgs(SignArgs::class.java)
            val key = store.getKey(alias(args.purpose), null) as PrivateKey
            val message = Base64.decode(args.message, Base64.URL_SAFE or Base64.NO_PADDING or Base64.NO_WRAP)
            val sig = Signature.getInstance("Ed25519").run {
                initSign(key)
                update(message)
                sign()
            }
            invoke.resolve(JSObject().put("signature", b64(sig)))
        } catch (e: Exception) {
            invoke.reject("signature failed")
        }
    }
}
