throw new Error("cbor-extract: the native accelerator is not installed (test/stubs/cbor-extract)");
