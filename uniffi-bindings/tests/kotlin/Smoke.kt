// Kotlin smoke test: loads libpassregion_uniffi through the generated
// bindings (JNA) and calls the core. Run by uniffi-bindings/test.sh.
import uniffi.passregion_uniffi.PassRegionException
import uniffi.passregion_uniffi.coreVersion
import uniffi.passregion_uniffi.formatMoney
import uniffi.passregion_uniffi.parseMoney
import uniffi.passregion_uniffi.seasonOf

fun main() {
    val version = coreVersion()
    check(version.isNotEmpty()) { "empty version" }
    check(parseMoney("12,50 €") == "12.50") { "parseMoney" }
    check(seasonOf("2026-09-01") == "2026-2027") { "seasonOf" }
    try {
        parseMoney("1e3")
        error("1e3 must be refused")
    } catch (e: PassRegionException.InvalidAmount) {
        // The typed error, with its reason.
        check(e.reason.isNotEmpty()) { "reason" }
    }
    println("kotlin smoke ok: core $version, ${formatMoney("1234.5")}")
}
