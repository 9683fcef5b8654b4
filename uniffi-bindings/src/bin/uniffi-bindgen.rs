//! The uniffi bindings generator, pinned to the uniffi version of this crate.
//! Used by `generate.sh` in library mode on the (unstripped) built library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
