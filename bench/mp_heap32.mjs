// Runs bench/mp_heap.py on MicroPython's 32-bit WebAssembly port: the word
// size of an ESP32. Usage: node mp_heap32.mjs PACKAGE_DIR FLASH_DIR STUBS_DIR SCRIPT
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const [pkgDir, flash, stubs, script] = process.argv.slice(2);
const require = createRequire(join(pkgDir, "package.json"));
const { loadMicroPython } = await import(require.resolve("@micropython/micropython-webassembly-pyscript"));
const mp = await loadMicroPython({ heapsize: 2 * 1024 * 1024, stdout: (line) => console.log(line) });

function copy(from, to) {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = `${to}/${name}`;
    if (statSync(source).isDirectory()) {
      mp.FS.mkdir(target);
      copy(source, target);
    } else {
      mp.FS.writeFile(target, readFileSync(source));
    }
  }
}
mp.FS.mkdir("/flash");
copy(flash, "/flash");
mp.FS.mkdir("/stubs");
copy(stubs, "/stubs");
mp.FS.chdir("/flash");
mp.runPython("import sys; sys.path[:0] = ['/stubs', '/flash/lib']");
try {
  mp.runPython(readFileSync(script, "utf8"));
} catch (error) {
  // The script ends with SystemExit once it has printed its figures.
  if (error.type !== "SystemExit") {
    console.error(error.message);
    process.exit(1);
  }
}
