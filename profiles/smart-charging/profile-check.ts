// K01 SetChargingProfileRequest validation: whether a station accepts a charging profile, and the
// statusInfo.reasonCode (Part 2 Appendix 5) when it rejects one. Pure: no IO, no station state.
//
// Reason codes by what is wrong: the request's evseId UnknownEvse / InvalidValue, a profile field
// InvalidProfile / InvalidStackLevel, a schedule field InvalidSchedule / UnsupportedRateUnit, list sizes
// TooManyElements, the transaction TxNotFound, the installed profiles DuplicateProfile / OutOfStorage.

import { Json, JsonObject } from "../../firmware/json";
import { Profile, profileFromJson } from "./composite-schedule";

/** What the station can take, from its device model and state. */
export interface ProfileLimits {
  /** EVSE count: evseIds 0 .. evses exist. */
  evses: number;
  /** SmartChargingCtrlr.ProfileStackLevel: the highest stackLevel accepted. */
  maxStackLevel: number;
  /** SmartChargingCtrlr.PeriodsPerSchedule. */
  periodsPerSchedule: number;
  /** SmartChargingCtrlr.RateUnit, a member list of "A" and "W" ("A,W"). */
  rateUnits: string;
  /** The transactionId running on the request's evseId, "" none. */
  txIdOnEvse: string;
  /** SmartChargingCtrlr.Entries (ChargingProfiles) maxLimit: profiles installed at most. */
  maxEntries: number;
  /** Epoch seconds. */
  now: number;
  /** The phases the request's EVSE is wired with (evseId 0: the most of any EVSE's). */
  phases: number;
}

/** K01.FR.05: the index in existing of the profile a new one with this id replaces, -1 none. */
function replaces(id: number, existing: Profile[]): number {
  for (let i = 0; i < existing.length; i++) if (existing[i].id === id) return i;
  return -1;
}

/**
 * Whether the validity periods [validFrom, validTo) of installed q and new p overlap (K01.FR.06); absent
 * ends are open, but p without validFrom is valid from now on, "as soon as it is received" (2.10), so an
 * expired q does not conflict.
 */
function overlaps(q: Profile, p: Profile, now: number): boolean {
  const from = p.validFrom >= 0 ? p.validFrom : now;
  return (q.validTo < 0 || from < q.validTo) && (p.validTo < 0 || q.validFrom < p.validTo);
}

/**
 * "" when a SetChargingProfileRequest for evseId with the schema-valid ChargingProfileType cp may be
 * accepted next to the installed profiles existing, else the reasonCode to answer Rejected with.
 */
function checkProfile(cp: JsonObject, evseId: number, existing: Profile[], limits: ProfileLimits): string {
  // K01.FR.28 (TC_K_14_CS).
  if (evseId < 0 || evseId > limits.evses) return "UnknownEvse";
  // A time that is no RFC 3339 epoch within 32 bits: the station could not hold the profile.
  const p = profileFromJson(cp, evseId);
  if (p === undefined) return "InvalidProfile";
  // K01.FR.22 (K02.FR.07, K03.FR.08): only an external system sets ChargingStationExternalConstraints.
  if (p.purpose === 1) return "InvalidProfile";
  // K04.FR.03 (3.2): a ChargingStationMaxProfile on evseId 0 only; K01.FR.16 (TC_K_11_CS): a TxProfile on
  // an EVSE only.
  if ((p.purpose === 0 && evseId !== 0) || (p.purpose === 3 && evseId === 0)) return "InvalidValue";
  if (p.purpose === 3) {
    // K01.FR.09 (TC_K_02_CS): no transaction on the EVSE; K01.FR.33 (TC_K_16_CS): not the one it runs. An
    // absent transactionId (K01.FR.03 is on the CSMS) means the EVSE's transaction, as in K05.
    if (limits.txIdOnEvse === "" || (p.transactionId !== "" && p.transactionId !== limits.txIdOnEvse)) return "TxNotFound";
  } else if (p.transactionId !== "") {
    // 2.10 ChargingProfileType: transactionId only with a TxProfile.
    return "InvalidProfile";
  }
  // 2.9.4 ProfileStackLevel, the highest acceptable; 2.10: the lowest is 0.
  if (p.stackLevel < 0 || p.stackLevel > limits.maxStackLevel) return "InvalidStackLevel";
  // K01.FR.38: a ChargingStationMaxProfile is not Relative; 3.3 (TC_K_19_CS): Recurring needs
  // recurrencyKind; K01.FR.36/37: a profile valid from validFrom to before validTo is never valid unless
  // validFrom < validTo.
  if (p.purpose === 0 && p.kind === "Relative") return "InvalidProfile";
  if (p.kind === "Recurring" && p.recurrency === "") return "InvalidProfile";
  if (p.validFrom >= 0 && p.validTo >= 0 && p.validFrom >= p.validTo) return "InvalidProfile";
  // K01.FR.34 (2.10): more than one chargingSchedule only with ISO 15118 (K15-K17), which this station does
  // not do; 2.12: at most PeriodsPerSchedule periods (2.9.6).
  const list = cp.chargingSchedule as Json[];
  const sc = list[0] as JsonObject;
  const ps = sc.chargingSchedulePeriod as JsonObject[];
  if (list.length > 1 || ps.length > limits.periodsPerSchedule) return "TooManyElements";
  // K01.FR.26 (TC_K_12_CS). The unit is "A" or "W", the list's only members (2.9.5): a plain find is exact.
  const [unit] = string.find(limits.rateUnits, p.rateUnit, 1, true);
  if (unit === undefined) return "UnsupportedRateUnit";
  // K01.FR.40/41: startSchedule with Absolute and Recurring, none with Relative; a duration is no negative
  // number of seconds.
  if ((sc.startSchedule === undefined) !== (p.kind === "Relative") || (sc.duration !== undefined && (sc.duration as number) < 0)) return "InvalidSchedule";
  let last = -1;
  for (let i = 0; i < ps.length; i++) {
    const q = ps[i];
    const start = q.startPeriod as number;
    const n = q.numberPhases;
    const use = q.phaseToUse;
    // K01.FR.31: the first startPeriod is 0; K01.FR.35: increasing. K01.FR.43: no count but 1 or 3 (2, or
    // one no AC supply has), and none below the EVSE's own phases: this station cannot switch phases, so it
    // cannot ensure fewer are used.
    if ((i === 0 && start !== 0) || start <= last || (n !== undefined && ((n !== 1 && n !== 3) || n < limits.phases))) return "InvalidSchedule";
    // K01.FR.48: this station cannot switch the phase an EV is on (no ACPhaseSwitchingSupported).
    if (use !== undefined) return "InvalidSchedule";
    last = start;
  }
  const at = replaces(p.id, existing);
  // K01.FR.05 (errata 2.38): a ChargingStationExternalConstraints cannot be replaced by the CSMS.
  if (at >= 0 && existing[at].purpose === 1) return "InvalidProfile";
  for (let i = 0; i < existing.length; i++) {
    const q = existing[i];
    if (q.id !== p.id && q.stackLevel === p.stackLevel && q.purpose === p.purpose) {
      // K01.FR.39 (errata 2.39): one TxProfile per stackLevel and transaction ("": the EVSE's, K05).
      if (p.purpose === 3) {
        if (q.transactionId === limits.txIdOnEvse || (q.transactionId === "" && q.evseId === evseId)) return "DuplicateProfile";
      } else if (q.evseId === evseId) {
        // K01.FR.06 (errata 2.39): stackLevel - purpose - evseId, with overlapping validity.
        if (overlaps(q, p, limits.now)) return "DuplicateProfile";
      } else if (p.purpose === 2 && (q.evseId === 0 || evseId === 0)) {
        // K01.FR.52/53: a TxDefaultProfile on EVSE #0 and one on an EVSE at the same stackLevel.
        return "DuplicateProfile";
      }
    }
  }
  // SmartChargingCtrlr.Entries (2.9.10): a new id needs room; a replacement takes the old one's.
  if (at < 0 && existing.length >= limits.maxEntries) return "OutOfStorage";
  return "";
}

export { checkProfile, replaces };
