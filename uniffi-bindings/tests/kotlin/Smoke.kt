// Kotlin smoke test: loads libpassregion_uniffi through the generated
// bindings (JNA) and calls the core: functions, typed errors, an object, and
// the two callback interfaces (a JDK Ed25519 key as the DeviceSigner, a
// SyncListener). No server: the client is pointed at a closed port.
// Run by uniffi-bindings/test.sh.
import java.nio.file.Files
import java.security.KeyPairGenerator
import java.security.Signature
import uniffi.passregion_uniffi.DeviceSigner
import uniffi.passregion_uniffi.PassRegionException
import uniffi.passregion_uniffi.SyncListener
import uniffi.passregion_uniffi.SyncState
import uniffi.passregion_uniffi.YouthClient
import uniffi.passregion_uniffi.coreVersion
import uniffi.passregion_uniffi.formatMoney
import uniffi.passregion_uniffi.parseMoney
import uniffi.passregion_uniffi.seasonOf

/** The platform keystore, played by a JDK Ed25519 key. */
class JdkSigner : DeviceSigner {
    private val pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
    var publicKeyCalls = 0

    // X.509 SubjectPublicKeyInfo of Ed25519: a 12-byte prefix, then the raw 32-byte key.
    override fun publicKey(): ByteArray {
        publicKeyCalls++
        return pair.public.encoded.copyOfRange(12, 44)
    }

    override fun sign(message: ByteArray): ByteArray =
        Signature.getInstance("Ed25519").run {
            initSign(pair.private)
            update(message)
            sign()
        }
}

class Recorder : SyncListener {
    val states = mutableListOf<SyncState>()
    override fun onState(state: SyncState) {
        states.add(state)
    }
}

fun main() {
    val version = coreVersion()
    check(version.isNotEmpty()) { "empty version" }
    check(parseMoney("12,50 €") == "12.50") { "parseMoney" }
    check(seasonOf("2026-09-01") == "2026-2027") { "seasonOf" }
    try {
        parseMoney("1e3")
        error("1e3 must be refused")
    } catch (e: PassRegionException.InvalidAmount) {
        check(e.reason.isNotEmpty()) { "reason" }
    }

    val dir = Files.createTempDirectory("passregion-kotlin")
    val signer = JdkSigner()
    YouthClient("http://127.0.0.1:9", dir.toString(), signer).use { youth ->
        check(signer.publicKeyCalls == 1) { "the public key is read from the Kotlin signer" }
        val states = Recorder()
        val handle = youth.addListener(states)
        try {
            youth.login("lea@demo.passregion.fr", "demo1234")
            error("no server: must be offline")
        } catch (e: PassRegionException.Offline) {
        }
        try {
            youth.sync()
            error("not logged in")
        } catch (e: PassRegionException.NotLoggedIn) {
        }
        check(states.states.first() == SyncState.Syncing) { "listener: ${states.states}" }
        check(states.states.last() is SyncState.Error) { "listener: ${states.states}" }
        handle.cancel()
        check(youth.home().card == null) { "empty cache" }
    }
    println("kotlin smoke ok: core $version, ${formatMoney("1234.5")}, callbacks called")
}
