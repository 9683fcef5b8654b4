// The partner's and the youth's device keys on iOS: an Ed25519 key
// (CryptoKit Curve25519.Signing) kept in the Keychain, readable only on this
// device after the first unlock, never synced or backed up. The Secure
// Enclave has no Ed25519, so the key is used in the app's process, loaded
// from the Keychain for each signature; Rust gets the public key and the
// signatures only. Called through the Tauri mobile plugin API
// (src/mobile_keys.rs). Not built on the CI machine (no Xcode); see ADR 0022.
import CryptoKit
import Foundation
import Security
import SwiftRs
import Tauri
import WebKit

class KeyArgs: Decodable {
  let purpose: String
}

class SignArgs: Decodable {
  let purpose: String
  let message: String
}

func b64url(_ data: Data) -> String {
  data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}

func fromB64url(_ s: String) -> Data? {
  var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
  while t.count % 4 != 0 { t += "=" }
  return Data(base64Encoded: t)
}

class KeystorePlugin: Plugin {
  private func account(_ purpose: String) throws -> String {
    guard purpose == "partner" || purpose == "youth" else { throw NSError(domain: "keystore", code: 1) }
    return "fr.passregion.device.\(purpose)"
  }

  private func key(_ purpose: String) throws -> Curve25519.Signing.PrivateKey {
    let account = try account(purpose)
    let query: [String: Any] = [
      kSecClass as String: kSecClassGenericPassword,
      kSecAttrService as String: "fr.passregion.app",
      kSecAttrAccount as String: account,
      kSecReturnData as String: true,
    ]
    var item: CFTypeRef?
    if SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess, let data = item as? Data {
      return try Curve25519.Signing.PrivateKey(rawRepresentation: data)
    }
    let key = Curve25519.Signing.PrivateKey()
    let add: [String: Any] = [
      kSecClass as String: kSecClassGenericPassword,
      kSecAttrService as String: "fr.passregion.app",
      kSecAttrAccount as String: account,
      kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
      kSecAttrSynchronizable as String: false,
      kSecValueData as String: key.rawRepresentation,
    ]
    guard SecItemAdd(add as CFDictionary, nil) == errSecSuccess else { throw NSError(domain: "keystore", code: 2) }
    return key
  }

  @objc public func publicKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    let k = try key(args.purpose)
    invoke.resolve(["publicKey": b64url(k.publicKey.rawRepresentation)])
  }

  @objc public func sign(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(SignArgs.self)
    guard let message = fromB64url(args.message) else { return invoke.reject("bad message") }
    let signature = try key(args.purpose).signature(for: message)
    invoke.resolve(["signature": b64url(signature)])
  }
}

@_cdecl("init_plugin_keystore")
func initPlugin() -> Plugin {
  return KeystorePlugin()
}
