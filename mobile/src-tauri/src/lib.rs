//! The Tauri shell of the PASS'Région app. The UI is the web frontend
//! (`mobile/dist`); the commands only forward to `passregion-core`.

use std::sync::Arc;

use tauri::ipc::{InvokeBody, Request};
use tauri::Manager;

pub mod clients;
pub mod keystore;
pub mod lists;
#[cfg(mobile)]
pub mod mobile_keys;

/// Frame sides accepted by [`scan_frame`] (the core's own limit applies too).
const MAX_SIDE: u32 = passregion_core::qr::MAX_FRAME_SIDE;

/// Converts an RGBA frame (row-major, 4 bytes per pixel) to luma (BT.601).
pub fn rgba_to_luma(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!("taille d'image invalide : {width}×{height}"));
    }
    let pixels = (width as usize) * (height as usize);
    if rgba.len() != pixels * 4 {
        return Err(format!(
            "image RGBA de {} octets, {} attendus pour {width}×{height}",
            rgba.len(),
            pixels * 4
        ));
    }
    Ok(rgba
        .chunks_exact(4)
        .map(|p| {
            ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8
        })
        .collect())
}

/// Decodes the QR codes of one RGBA frame with the core's scanner.
pub fn scan_rgba(rgba: &[u8], width: u32, height: u32) -> Result<Vec<String>, String> {
    let luma = rgba_to_luma(rgba, width, height)?;
    passregion_core::qr::scan_luma(&luma, width, height).map_err(|e| e.to_string())
}

fn header_u32(request: &Request<'_>, name: &str) -> Result<u32, String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("en-tête {name} manquant ou invalide"))
}

/// `invoke('scan_frame', rgbaBytes, {headers: {'x-frame-width': w, 'x-frame-height': h}})`:
/// the texts of the QR codes in the frame (empty if none).
#[tauri::command]
fn scan_frame(request: Request<'_>) -> Result<Vec<String>, String> {
    let InvokeBody::Raw(rgba) = request.body() else {
        return Err("corps binaire (octets RGBA) attendu".into());
    };
    let width = header_u32(&request, "x-frame-width")?;
    let height = header_u32(&request, "x-frame-height")?;
    scan_rgba(rgba, width, height)
}

/// Versions, for the about screen and support.
#[tauri::command]
fn app_info() -> serde_json::Value {
    serde_json::json!({
        "app": env!("CARGO_PKG_VERSION"),
        "platform": std::env::consts::OS,
    })
}

/// Registers the commands on a builder (shared by the app and the tests).
/// The core clients' stores live in the app's data directory
/// (`PASSREGION_APP_DATA` overrides it, for tests).
pub fn builder<R: tauri::Runtime>(b: tauri::Builder<R>) -> tauri::Builder<R> {
    // With `PASSREGION_APP_DATA`, the clients are managed at once (tests
    // drive the commands without running the app); otherwise in `setup`,
    // where the app's data directory is known.
    let b = match std::env::var_os("PASSREGION_APP_DATA") {
        Some(d) => b.manage(Arc::new(clients::Clients::new(std::path::PathBuf::from(d)))),
        None => b,
    };
    // On a phone, the device keys live in the platform keystore (ADR 0022).
    #[cfg(mobile)]
    let b = b.plugin(mobile_keys::init());
    b.setup(|app| {
        if app.try_state::<Arc<clients::Clients>>().is_none() {
            let dir = app.path().app_data_dir()?;
            app.manage(Arc::new(clients::Clients::new(dir)));
        }
        let clients = app.state::<Arc<clients::Clients>>().inner().clone();
        #[cfg(mobile)]
        {
            let handle = app.handle().clone();
            clients.set_platform_signers(Arc::new(move |purpose| {
                handle
                    .try_state::<mobile_keys::Keystore<R>>()
                    .and_then(|k| k.signer(purpose))
            }));
        }
        // Background sync at launch and then every 30 s
        // (`PASSREGION_SYNC_SECONDS` changes it, for tests).
        let every = std::env::var("PASSREGION_SYNC_SECONDS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(30)
            .max(1);
        clients::start_background_sync(clients, std::time::Duration::from_secs(every));
        Ok(())
    })
    .invoke_handler(tauri::generate_handler![
        scan_frame,
        app_info,
        clients::partner_login,
        clients::partner_status_cmd,
        clients::partner_scan,
        clients::partner_debit,
        clients::partner_sync,
        clients::partner_avantages,
        clients::youth_login,
        clients::youth_home,
        clients::youth_qr,
        clients::youth_sync,
        lists::partner_transactions,
        lists::partner_reimbursements,
        lists::youth_history,
        lists::youth_card,
        lists::youth_credential,
        lists::youth_bons_plans,
        lists::youth_partners,
        lists::youth_order,
        lists::youth_orders,
    ])
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    if let Err(e) = builder(tauri::Builder::default()).run(tauri::generate_context!()) {
        eprintln!("PASS'Région : l'application n'a pas pu démarrer : {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passregion_core::qr::{matrix, QrUse};

    /// A white RGBA frame with `text` as a QR code of `px` pixels per module.
    fn frame(text: &str, px: usize) -> (Vec<u8>, u32, u32) {
        let m = matrix(text, QrUse::PhoneScreen).expect("matrix");
        let side = (m.width + 8) * px;
        let mut rgba = vec![255u8; side * side * 4];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / px).wrapping_sub(4), (y / px).wrapping_sub(4));
                if m.is_dark(mx, my) {
                    let i = (y * side + x) * 4;
                    rgba[i..i + 3].copy_from_slice(&[0, 0, 0]);
                }
            }
        }
        (rgba, side as u32, side as u32)
    }

    #[test]
    fn scans_a_rendered_code() {
        let (rgba, w, h) = frame("PR1:TEST-TAURI", 4);
        assert_eq!(
            scan_rgba(&rgba, w, h).expect("scan"),
            vec!["PR1:TEST-TAURI".to_owned()]
        );
    }

    #[test]
    fn rejects_bad_frames() {
        assert!(rgba_to_luma(&[0; 10], 2, 2).is_err());
        assert!(rgba_to_luma(&[], 0, 0).is_err());
        assert!(scan_rgba(&vec![255; 64 * 64 * 4], 64, 64)
            .expect("empty")
            .is_empty());
    }

    #[test]
    fn scan_frame_command_over_ipc() {
        use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
        use tauri::webview::InvokeRequest;

        let app = builder(mock_builder())
            .build(mock_context(noop_assets()))
            .expect("app");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");
        let (rgba, w, h) = frame("PD1:IPC", 4);
        let mut headers = tauri::http::HeaderMap::new();
        headers.insert("x-frame-width", w.to_string().parse().expect("header"));
        headers.insert("x-frame-height", h.to_string().parse().expect("header"));
        let res = get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: "scan_frame".into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                // The local origin of the webview on Linux/macOS/iOS.
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::Raw(rgba),
                headers,
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .expect("ipc");
        let texts: Vec<String> = res.deserialize().expect("json");
        assert_eq!(texts, vec!["PD1:IPC".to_owned()]);
    }

    #[test]
    fn list_commands_answer_over_ipc_from_the_store() {
        use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
        use tauri::webview::InvokeRequest;

        let dir = std::env::temp_dir().join(format!("pr-app-ipc-{}", std::process::id()));
        std::env::set_var("PASSREGION_APP_DATA", &dir);
        std::env::set_var("PASSREGION_NO_KEYRING", "1");
        let app = builder(mock_builder())
            .build(mock_context(noop_assets()))
            .expect("app");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");
        let call = |cmd: &str, body: serde_json::Value| {
            get_ipc_response(
                &webview,
                InvokeRequest {
                    cmd: cmd.into(),
                    callback: tauri::ipc::CallbackFn(0),
                    error: tauri::ipc::CallbackFn(1),
                    url: "tauri://localhost".parse().expect("url"),
                    body: InvokeBody::Json(body),
                    headers: Default::default(),
                    invoke_key: INVOKE_KEY.to_string(),
                },
            )
        };
        // The directory search works on the phone's copy (empty here).
        let hits = call(
            "youth_partners",
            serde_json::json!({ "query": { "text": "librairie" } }),
        )
        .expect("search");
        assert_eq!(
            hits.deserialize::<serde_json::Value>().expect("json"),
            serde_json::json!([])
        );
        // Not logged in: a stable code and a French message, not a panic.
        let err = call("partner_transactions", serde_json::json!({})).expect_err("refused");
        assert_eq!(err["code"], "non_connecte", "{err}");
        assert!(err["message"]
            .as_str()
            .unwrap_or("")
            .contains("Connectez-vous"));
        // The device's state before any login.
        let status = call("partner_status_cmd", serde_json::json!({})).expect("status");
        let status: serde_json::Value = status.deserialize().expect("json");
        assert_eq!(status["pending"], 0);
        assert_eq!(status["sync"]["state"], "idle");
        let _ = std::fs::remove_dir_all(dir);
    }
}
