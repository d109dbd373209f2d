// FLASHING.md, generated per build and board: what each file of the package is, how it gets onto the
// board with the firmware's usual tools, the provisioning step and the sizes. Facts and their sources:
// hal/FIRMWARES.md, and per step the firmware documentation linked in the text.

import type { BoardConfig } from "../hal/board-config";
import type { Target } from "./compile";
import { heapLeft, RamSize } from "./ram";
import { PROVISION_FILE, portModule } from "./start-file";

export interface PackagedFile {
  file: string;
  bytes: number;
  /** What it is and where it goes. */
  what: string;
}

export interface FlashingInput {
  config: string;
  configFile: string;
  board: string;
  target: Target;
  startFile: "init.lua" | "main.lua";
  files: PackagedFile[];
  /** NodeMCU on Lua 5.1: the LFS the image and the port need (build/lfs-size.ts), and the firmware's largest. */
  lfs?: { bytes: number; max: number };
  /** The provisioning keys of the template. */
  provisionKeys: string[];
  /** The firmware modules the port reads: hal/<board>/board.json "globals". */
  modules: string[];
  /** The config's wiring for the board (its meter UART decides the ESP8266's console note). */
  wiring?: BoardConfig;
  /** What the image and the port leave in RAM, and the board's heap where it limits (build/ram.ts). */
  ram?: RamSize;
}

/** The RAM section: the resident figure, and on a board whose heap limits, whether a session fits. */
function ramSection(i: FlashingInput): string {
  const r = i.ram;
  if (r === undefined) return "";
  const where =
    i.board === "luatos"
      ? `even where their code stays in flash (only a BSP that maps its scripts, \`LUAT_USE_MEMORY_OPTIMIZATION_CODE_MMAP\`, keeps it
there; elsewhere the code LuaTools compiles is loaded into the Lua heap as well, about as much again as the \`.lua\` files'
stripped bytecode: check \`rtos.meminfo("lua")\` after the boot)`
      : `although their code is in flash`;
  const resident = `Running, the image and the port leave about **${r.residentKb} KB** in RAM ${where}: every
function is a closure, every module local its functions share an upvalue, every table its nodes (measured at build on
PUC Lua with 8-byte numbers, build/resident.ts; NodeMCU's packed values make it up to a fifth smaller). A charging session needs its dynamic RAM on top: the footprint bench's "session peak ... dyn"
(\`npm run bench:footprint\`, the README's table).`;
  const h = heapLeft(r.residentKb, r.heapKb, r.sessionMinKb);
  if (h === undefined) return `\n## RAM\n\n${resident}\n`;
  const verdict = h.fits
    ? `That leaves ${h.leftKb} KB of the board's ~${h.heapKb} KB heap, and a Core session has needed at least ${h.sessionMinKb} KB.`
    : `**That leaves ${h.leftKb} KB of the board's ~${h.heapKb} KB heap, and a Core charging session has needed at least ${h.sessionMinKb} KB: this
image does not fit this board's RAM.** The simulator runs it (its VM has no such limit); on the chip expect \`not enough memory\`
restarts at start or at the first charging session or report. Use a board with more heap (the ESP32 port), or a configuration
with fewer blocks.`;
  return `\n## RAM\n\n${resident}\n\n${verdict}\n`;
}

/** Lua's own libraries among a port's globals, which no firmware build option selects. */
const BUILTIN = ["print", "io", "os", "string", "table", "math"];

/** The pilot's peak hold, which every port's ADC reading relies on (docs/porting.md). */
function pilotHardware(adc: string): string {
  return `## The pilot circuit

The port reads the control pilot's state from ${adc} every 50 ms: **the board must present the
pilot's positive level to the ADC through a peak-hold circuit** (a diode and a capacitor after the
divider, or an equivalent). The pilot is a 1 kHz PWM once the station offers current: at 10 % duty
(6 A) the positive level lasts 100 µs of each millisecond, and a bare ADC input read at an instant in
the low phase reads state E, which aborts the session. The levels \`pilotLevels\` of the config are
the ADC readings of the held voltage at the thresholds of states A, B, C and D (measure them on the board).`;
}

const NODEMCU_DOCS = { "nodemcu-esp8266": "https://nodemcu.readthedocs.io/en/dev", "nodemcu-esp32": "https://nodemcu.readthedocs.io/en/dev-esp32" } as { [b: string]: string };

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KB`;
}

function fileTable(files: PackagedFile[]): string {
  return ["| file | bytes | what it is |", "| --- | ---: | --- |", ...files.map((f) => `| \`${f.file}\` | ${f.bytes} | ${f.what} |`)].join("\n");
}

function provisioning(i: FlashingInput, where: string): string {
  return `## Provisioning (per unit)

\`${PROVISION_FILE}\` is a template: copy it per unit and fill in the values, one \`Component/Variable=value\`
per line (a key left without a value is skipped, \`#\` starts a comment):

\`\`\`
${i.provisionKeys.map((k) => `${k}=`).join("\n")}
\`\`\`

${where}${
    i.board === "nodemcu-esp32"
      ? `

The CSMS URL must be \`ws://\`: this firmware has no TLS (hal/FIRMWARES.md), so security profiles 2 and 3
are not available on it.`
      : ""
  }

The image never holds these values: the CSMS URL, the identity and the password go into the
station's device-model record on the board's flash, through \`fw.provision\` (docs/porting.md).`;
}

function nodemcu(i: FlashingInput): string {
  const docs = NODEMCU_DOCS[i.board];
  const esp32 = i.board === "nodemcu-esp32";
  const port = portModule(i.board);
  const luac = i.target === "lua5.1" ? "Lua 5.1" : "Lua 5.3";
  const lfs =
    i.lfs !== undefined
      ? `The LFS the image and the port need: about **${kb(i.lfs.bytes)}** (an estimate from the stripped bytecode,
build/lfs-size.ts; \`luac.cross -f\` prints the exact "Image size", and \`-m\` checks it against your LFS size). ${i.lfs.bytes > i.lfs.max ? `**This is more than the ${kb(i.lfs.max)} LFS the ESP8266 firmware offers: this configuration does not fit; drop blocks from it.**` : `The ESP8266 firmware offers up to ${kb(i.lfs.max)}.`}`
      : `NodeMCU's Lua 5.3 \`luac.cross -f\` prints no size (and ignores \`-m\`); \`node.LFS.reload\` refuses an image larger than the LFS partition (see step 1 for its size).`;
  const lc = `\`ocpp.lc\` and \`${port}.lc\` are the image and the port as NodeMCU ${luac} bytecode, stripped: the build's,
laid out as NodeMCU's loader wants it${
    i.target === "lua5.1" ? "" : ", for a firmware with 4-byte integers and floats (the ESP32's; another number size is refused by the loader, \"size mismatch\")"
  }. \`init.lua\` loads them from the file system when LFS does not hold the modules${esp32 ? "" : "; on the ESP8266 they do not fit in the ~44 KB heap that way: use LFS"}.`;
  // From the stripped .lc files: no line information in LFS (about a tenth smaller than from the
  // sources, build/lfs-size.ts).
  const lfsCommand = `luac.cross -f -o lfs.img ocpp.lc ${port}.lc`;
  const firmwareModules = i.modules.filter((m) => !BUILTIN.includes(m));
  const moduleList = [...firmwareModules, "wifi"].map((m) => `\`${m}\``).join(", ");
  const lfsHex = i.lfs !== undefined ? `0x${i.lfs.bytes.toString(16).toUpperCase()}` : "";
  // Lua 5.3 (the ESP32): no fitted estimate; the .lc files and half again, in 64 KB steps (5.1's LFS
  // takes ~1.35 times its .lc files, build/lfs-size.ts).
  const lcBytes = i.files.filter((f) => f.file.endsWith(".lc")).reduce((n, f) => n + f.bytes, 0);
  const lfs32 = Math.ceil((lcBytes * 3) / 2 / 65536) * 65536;
  const lfs32Hex = `0x${lfs32.toString(16).toUpperCase()}`;
  const firmware = esp32
    ? `A NodeMCU \`dev-esp32\` build on Lua 5.3 (the default: 4-byte integers and floats) with LFS, built as ${docs}/build/ describes.
In \`make menuconfig\` (\`idf.py menuconfig\`) → *Component config* → *NodeMCU modules* enable the modules the port uses (from
\`hal/${i.board}/board.json\`): ${moduleList}
(\`CONFIG_NODEMCU_CMODULE_${firmwareModules[0].toUpperCase()}\` and so on; \`io\` is Lua's own). **The crypto module must include SHA-1
(\`CONFIG_CRYPTO_HASH_SHA1\`, one of the crypto module's hash algorithms; its \`crypto.c\` offers only those enabled)**: the port's WebSocket client checks the
CSMS's \`Sec-WebSocket-Accept\` with SHA-1, and its random numbers (the WebSocket key and mask, back-off jitter)
come from a SHA-1 hash chain; without it \`crypto.new_hash("SHA1")\` raises and no connection opens.

**The LFS partition must be enlarged before the build.** \`components/platform/partitions.csv\` gives the \`lfs\` partition
(type 0xC2, subtype 0x01) 0x10000 bytes, 64 KB, by default; the image and the port are ${kb(lcBytes)} of bytecode, and
LFS lays them out larger than that in flash. Set the \`lfs\` line's size to at least **${lfs32Hex}** (${kb(lfs32)}: one and a half
times the \`.lc\` files, in 64 KB steps; NodeMCU's Lua 5.3 tools print no exact figure, so if \`node.LFS.reload\` answers that
the image is too large, enlarge it again), e.g. \`lfs, 0xC2, 0x01, , ${lfs32Hex}\`. The same table decides the file
system the station's journal and records live on: keep a SPIFFS partition (subtype 0x00; the stock table has its
\`nodemcuspiffs\` line commented out, for a firmware that lays out its file system in the free flash at the first
boot; check that \`file.fsinfo()\` answers after the first boot, else add that line). The factory app partition must
still hold the firmware (0x180000 in the stock table).

Flash it with \`esptool.py\` (or \`idf.py flash\`) as ${docs}/flash/ describes. The same build produces \`luac.cross\`,
the cross-compiler that matches the firmware.`
    : `A NodeMCU \`dev\` build on Lua 5.1 (the floating-point build: the bytecode holds 8-byte numbers) with LFS and these
C modules (from \`hal/${i.board}/board.json\`): ${moduleList}. Build it as ${docs}/build/ describes (the cloud
builder, the Docker image, or \`app/include/user_modules.h\`), and flash it with \`esptool.py\` as ${docs}/flash/
describes. The same build produces \`luac.cross\`, the cross-compiler that matches the firmware.
${
  i.lfs !== undefined
    ? `
**The LFS partition must hold the image and the port: at least ${kb(i.lfs.bytes)} (${i.lfs.bytes} bytes, ${lfsHex}; the
estimate of \`size.txt\`).** NodeMCU's LFS size is fixed when the firmware is built, not at run time: set
\`LUA_FLASH_STORE\` in \`app/include/user_config.h\` to at least ${lfsHex} (a multiple of 4 KB, at most 0x40000 = 256 KB;
\`#define LUA_FLASH_STORE ${lfsHex}\`), or choose an LFS size of at least ${kb(i.lfs.bytes)} in the cloud builder's
options (its largest is 256 KB) — ${docs}/lfs/. On a firmware built on SDK 3.0 the partition table written at
flashing decides it instead: set the LFS size with the firmware's \`tools/nodemcu-partition.py\` (\`--lfs_size\`). A firmware built without LFS, or with a smaller one, refuses
the image at step 3 (\`node.LFS.reload\` answers with an error and keeps the old LFS).${
        i.lfs.bytes > i.lfs.max ? ` **This image does not fit the ESP8266's largest LFS (${kb(i.lfs.max)}): drop blocks from the configuration.**` : ""
      }`
    : ""
}`;
  return `# Flashing \`${i.config}\` onto NodeMCU ${esp32 ? "ESP32 (dev-esp32)" : "ESP8266 (dev)"}

Generated by \`ocpp-fw build --config ${i.configFile} --board ${i.board} --target ${i.target}\`.

## Files

${fileTable(i.files)}
${ramSection(i)}
## 1. The firmware

${firmware}
${esp32 ? "" : "\n" + esp8266Console(i, docs) + "\n"}
## 2. The network

The port does not join a network. Save the station configuration once at the serial console:
${
  esp32
    ? `\`wifi.mode(wifi.STATION, true)\` and \`wifi.sta.config({ssid = "...", pwd = "..."}, true)\`; \`init.lua\` starts
WiFi at every boot (\`wifi.start()\`; the firmware joins the saved network, and again after a drop, by itself: ${docs}/modules/wifi/).`
    : `\`wifi.setmode(wifi.STATION)\` and \`wifi.sta.config({ssid = "...", pwd = "...", save = true})\`; the ESP8266 joins it at
every boot (${docs}/modules/wifi/).`
}

## 3. The code, into LFS

The image and the port run from the Lua Flash Store, so their code and constant strings stay out of RAM
(${docs}/lfs/). Build the LFS image on the host with the firmware's \`luac.cross\`:

\`\`\`sh
${lfsCommand}
\`\`\`

LFS names each module after its source (the \`.lc\` files keep the names): \`ocpp\` and \`${port}\`, the names \`init.lua\` asks LFS for
(\`node.LFS.get\`, or \`node.flashindex\` on firmware from before \`node.LFS\`). ${lfs}

${lc}

## 4. Upload

Upload \`lfs.img\` to the file system with one of the tools of ${docs}/upload/ (ESPlorer, nodemcu-uploader,
NodeMCU-Tool), e.g.:

\`\`\`sh
nodemcu-uploader --port /dev/ttyUSB0 upload lfs.img
\`\`\`

then load it into LFS at the console; the board restarts with it (${docs}/modules/node/#nodelfsreload):

\`\`\`lua
node.LFS.reload("lfs.img")   -- node.flashreload("lfs.img") on firmware from before node.LFS
\`\`\`

Only then upload \`init.lua\` and the unit's \`${PROVISION_FILE}\` (an \`init.lua\` that boots before LFS holds the
image would loop in a panic), and remove \`lfs.img\`:

\`\`\`sh
nodemcu-uploader --port /dev/ttyUSB0 upload init.lua ${PROVISION_FILE}
nodemcu-uploader --port /dev/ttyUSB0 file remove lfs.img
\`\`\`

\`init.lua\` waits 3 s before it starts the firmware: time to type \`file.remove("init.lua")\` should the board loop in a panic.

${provisioning(i, `\`init.lua\` applies the file once, right after the station starts and before it first connects, then deletes it.`)}

${pilotHardware(esp32 ? "an ADC1 channel (`adc.read(adc.ADC1, pilotAdc)`, 12 bits at 11 dB)" : "TOUT, the ESP8266's one ADC input (`adc.read(0)`, 0–1 V)")}
`;
}

/**
 * The ESP8266's one receiving UART is UART 0, the USB-serial console's. The port moves it to D7/D8
 * with uart.alt(1) when the wiring says rxPin 7, txPin 8 (https://nodemcu.readthedocs.io/en/dev/modules/uart/#uartalt);
 * else the meter shares the console's pins.
 */
function esp8266Console(i: FlashingInput, docs: string): string {
  return `${esp8266ConsolePins(i, docs)}\n\n${esp8266Transceiver(i, docs)}`;
}

function esp8266ConsolePins(i: FlashingInput, docs: string): string {
  const m = i.wiring?.meter;
  const alt = m !== undefined && m.rxPin === 7 && m.txPin === 8;
  const auto = m !== undefined && m.dePin < 0;
  const head = `### The meter's UART and the console

The ESP8266 receives on UART 0 only (UART 1 transmits only), and UART 0 is also the USB-serial Lua console
(${docs}/modules/uart/).`;
  if (alt)
    return `${head} This wiring puts the meter's RS-485 transceiver on **D7 (RX, GPIO13) and D8 (TX, GPIO15)**:
the port calls \`uart.alt(1)\` when it starts, 3 s after boot, which moves UART 0 there. From then on the
USB serial line is deaf and mute: the console takes no input (the port reads the UART itself) and \`print\`
output goes to the transceiver, ${auto ? "which puts it on the bus (automatic direction control, below)" : "whose driver stays off unless the port is sending (`dePin`)"}. Flashing with
\`esptool.py\` is not affected (the boot ROM uses GPIO1/GPIO3). To reach the console again (to upload files,
or \`file.remove("init.lua")\`), reset the board and type within the 3 s before \`init.lua\` starts the port.
D8 (GPIO15) must be low at reset (a boot strap): keep the transceiver's DI input from pulling it up.`;
  return `${head} **This wiring leaves the meter on UART 0's own pins, D9 (RX, GPIO3) and D10 (TX, GPIO1): the same
lines as the USB-serial chip.** The transceiver's receiver output and the USB chip both drive RX, so:

- **disconnect the meter (or its transceiver's RO line) while flashing the firmware and while uploading
  files**: \`esptool.py\` and the upload tools talk over these lines, and a meter's answer or the transceiver's
  idle level garbles them;
- while the port runs the console is gone: the port takes UART 0's input for the meter (no Lua
  prompt), and \`print\` output goes to the transceiver too (${auto ? "which puts it on the bus: automatic direction control, below" : "harmless while its driver is off, `dePin` low"});
- to reach the console again, reset the board with the meter disconnected and type within the 3 s before
  \`init.lua\` starts the port.

Wiring the transceiver to D7/D8 instead (\`"rxPin": 7, "txPin": 8\` in the config's meter section) avoids all of
this: the port then moves UART 0 there with \`uart.alt(1)\` and the USB lines stay free.`;
}

/**
 * The RS-485 direction on the ESP8266: with a dePin the port busy-waits (tmr.delay) each request's
 * time on the line before it drops the driver (hal/nodemcu-esp8266/board.ts meterWrite; uart.write
 * returns with the bytes still in the FIFO), and nothing else runs meanwhile. An automatic-direction
 * transceiver (dePin -1) needs no wait; UART 0 also carries print, which it then puts on the bus.
 */
function esp8266Transceiver(i: FlashingInput, docs: string): string {
  const m = i.wiring?.meter;
  // A read request is 8 bytes (address, function, start, count, CRC) of 10 bits (8N1).
  const baud = m?.baud ?? 9600;
  const ms = (Math.ceil(80000000 / baud) / 1000).toFixed(1);
  const auto = m !== undefined && m.dePin < 0;
  const why = `With a \`dePin\` the port raises it, writes the Modbus request and must drop it again before the meter answers; NodeMCU's
\`uart.write\` returns with the bytes still in the UART's FIFO, so the port waits out their time on the line with
\`tmr.delay\`, a busy-wait during which nothing else runs: not WiFi and the network stack, not the timers that poll the pilot
and the inputs. That is ${ms} ms per request at ${baud} baud (8 bytes of 10 bits), three requests per reading with the
default SDM630 register table (a reading every \`periodMs\`, 1 s by default), more on retries; NodeMCU's documentation warns
that busy-waiting can make the network stack fall over (${docs}/modules/tmr/#tmrdelay). With \`"dePin": -1\` the port
writes the request and returns at once: the transceiver turns its driver on and off by itself, and nothing waits.`;
  const print = `Such a transceiver sends whatever UART 0 transmits, so the port's log lines (\`print\`) go out on the bus as well. A
Modbus meter discards them (they are no frame with its address and a valid CRC), but a line that overlaps a
meter's reply garbles it and the port asks again.`;
  return `### The meter's RS-485 transceiver: automatic direction control recommended

${
  auto
    ? `This wiring sets \`"dePin": -1\`: **a transceiver with automatic direction control, the recommended one on the ESP8266.**`
    : `**Use a transceiver with automatic direction control and set \`"dePin": -1\`** in the config's meter section${
        m === undefined ? "" : ` (this wiring switches the transceiver's direction from D${m.dePin})`
      }.`
} ${why}

${print}`;
}

function luatos(i: FlashingInput): string {
  const port = portModule(i.board);
  const scripts = i.files.filter((f) => f.file === "main.lua" || f.file === "ocpp.lua" || f.file === `${port}.lua`).reduce((n, f) => n + f.bytes, 0);
  return `# Flashing \`${i.config}\` onto LuatOS

Generated by \`ocpp-fw build --config ${i.configFile} --board ${i.board} --target ${i.target}\`.

## Files

${fileTable(i.files)}
${ramSection(i)}
## 1. The firmware

A LuatOS firmware (the \`.soc\` core for the module) with these libraries (from \`hal/${i.board}/board.json\`):
${i.modules.map((m) => `\`${m}\``).join(", ")}, plus \`wlan\` on a WiFi module or \`mobile\` on a cellular one.
LuaTools (https://wiki.luatos.com/) flashes the core.

**Why Lua sources, not bytecode:** the package's scripts are \`ocpp.lua\` and \`${port}.lua\`, sources. The
build's \`.luac\` files are PUC Lua 5.3 bytecode for the simulator, with 8-byte integers and floats; a LuatOS core's
VM uses 4-byte integers and floats unless its BSP sets \`LUAT_CONF_VM_64bit\` (hal/FIRMWARES.md), and Lua 5.3's
loader refuses bytecode whose number sizes differ from its own. One file cannot serve every core, and the build
does not know yours: LuaTools builds the script image from the sources for the core it flashes.

## 2. The network

The port does not bring the network up; it connects once there is one (a connect before that fails, and the
station tries again after its back-off).

- **Cellular modules** (Air780E and the like, the \`mobile\` library): the module attaches by itself with its SIM
  and publishes \`IP_READY\`; nothing to add. Check the SIM and its APN first (\`mobile.status()\` at the console).
- **WiFi modules** (ESP32-C3/S3 cores, the \`wlan\` library): the module joins nothing by itself. Add a
  \`network.lua\` to the LuaTools project; \`main.lua\` requires it before it starts the port (a missing one is
  skipped, one that raises is logged):

\`\`\`lua
-- network.lua: join the WiFi network (LuatOS wlan library; wlan.connect returns at once, IP_READY follows)
wlan.init()
wlan.setMode(wlan.STATION)
wlan.connect("your-ssid", "your-password", 1)   -- 1: reconnect by itself after a drop
\`\`\`

  The script area is read-only and readable from the board: the WiFi password lies there in plain text.

## 3. The scripts

Create a LuaTools project with \`main.lua\`, \`ocpp.lua\`, \`${port}.lua\` and the unit's \`${PROVISION_FILE}\`, and
download the scripts with LuaTools' script download. Every file of the project goes to the script area
\`/luadb/\`, read-only on the board (https://wiki.luatos.com/api/io.html); names are at most 31 bytes.
\`main.lua\` sets \`PROJECT\` and \`VERSION\` (read by LuaTools), requires \`ocpp\` and \`${port}\` by name and
ends with \`sys.run()\`. The scripts take ${scripts} bytes as sources: check them against the module's
script area.

${provisioning(
  i,
  `\`main.lua\` applies the file once, right after the station starts and before it first connects, and records
that in a marker, \`/provisioned\` on the writable file system, instead of deleting the file: the script area is
read-only. **So \`/luadb/${PROVISION_FILE}\` stays on the board after the first start, until you download the
scripts again without it: until then the CSMS URL, the identity and the password lie on the flash in plain text,
readable by any script and from the board. After the first start, download the scripts again without
\`${PROVISION_FILE}\`** (the values are in the station's device-model record by then, and the marker keeps
\`main.lua\` from applying a file again). To provision the unit again, delete \`/provisioned\`
(\`os.remove("/provisioned")\` from a script) with a \`${PROVISION_FILE}\` among the scripts.`,
)}

${pilotHardware("the ADC channel `pilotAdc` (`adc.get`, one conversion of the level at that instant: LuatOS documents no averaging)")}
`;
}

export function flashingMd(i: FlashingInput): string {
  return i.startFile === "init.lua" ? nodemcu(i) : luatos(i);
}
