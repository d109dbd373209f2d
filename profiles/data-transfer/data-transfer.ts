// P01 DataTransfer from the CSMS. This station implements no vendor-specific extension: every vendorId
// is unknown to it (P01.FR.05, TC_P_01), rather than a CALLERROR NotSupported for the whole action.
// An OEM with its own extension replaces this block with one that knows its vendorId.

export const dataTransfer = {
  name: "data-transfer",
  handlers: { DataTransfer: () => ({ status: "UnknownVendorId" }) },
};
