#!/usr/bin/env python3
"""Compiles (and where it is a program, runs) every code snippet in README.md
and docs/*.md.

Each fenced block in README.md is preceded by a marker comment,
`<!-- snippet: KIND -->`, that says how it is checked; a block without one
fails the check, so no snippet can go unchecked. What the reader sees is
compiled as shown; a hidden prelude and epilogue supply only what the
snippet leaves to the reader (the backend call, a main function, a project
declaration).

Usage: readme-snippets.py LIBTICKGUARD_A INSTALL_PREFIX
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
LIB, PREFIX = sys.argv[1], sys.argv[2]
WARN = ["-Wall", "-Wextra", "-Werror", "-pedantic"]
WORK = tempfile.mkdtemp(prefix="readme-snippets-")
TARGET_DIR = os.path.join(
    subprocess.run([os.path.join(ROOT, ".ci", "target-dir")], check=True,
                   capture_output=True, text=True).stdout.strip(),
    "readme-snippets")


def run(cmd, cwd=WORK, env=None, expect_failure=False):
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True)
    failed = result.returncode != 0
    if failed != expect_failure:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"readme-snippets: {'succeeded' if not failed else 'failed'}: {' '.join(cmd)}")
    return result.stdout


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


# A C program the packaging snippets build: calls the library and checks it.
APP_C = """#include <stdio.h>
#include "tickguard.h"
int main(void) {
  static tg_bucket_t bucket;
  const tg_bucket_config_t config = {1, 1, 10, TG_BUCKET_FULL};
  int ok = tg_version() == TG_VERSION && tg_bucket_init(&bucket, &config) == TG_OK &&
           tg_bucket_acquire(&bucket, 1, 0, NULL) == TG_OK &&
           tg_bucket_acquire(&bucket, 1, 0, NULL) == TG_REFUSED;
  puts(ok ? "app ok" : "app FAILED");
  return ok ? 0 : 1;
}
"""


def check_shell(code, _):
    run(["bash", "-n", write(os.path.join(WORK, "snippet.sh"), code)])


def check_c_program(code, name):
    """A complete C program, compiled and run as it is."""
    src = write(os.path.join(WORK, name, "main.c"), code)
    exe = os.path.join(WORK, name, "main")
    run(["cc", "-std=c11", *WARN, "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
         "-I", os.path.join(ROOT, "include"), src, LIB, "-o", exe])
    run([exe])


def check_cpp_quickstart(code, name):
    prelude = ("#include <cstdint>\nstatic uint32_t calls;\nstatic uint64_t clock_ticks;\n"
               "static bool backend() { return ++calls % 4 != 0; }\n"
               "static uint64_t tick_now() { return clock_ticks += 3; }\n")
    epilogue = """
int main() {
  if (!setup()) return 1;
  for (uint32_t now = 0; now < 2000; now += 7) request(now);
  return 0;
}
"""
    src = write(os.path.join(WORK, name, "main.cpp"), prelude + code + epilogue)
    exe = os.path.join(WORK, name, "main")
    run(["c++", "-std=c++20", *WARN, "-fno-exceptions", "-fno-rtti",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
         "-I", os.path.join(ROOT, "include"), src, LIB, "-o", exe])
    run([exe])


def cmake_project(code, name):
    project = os.path.join(WORK, name)
    write(os.path.join(project, "CMakeLists.txt"),
          "cmake_minimum_required(VERSION 3.16)\nproject(app LANGUAGES C)\n" + code)
    write(os.path.join(project, "app.c"), APP_C)
    return project


def cmake_build_and_run(project, *configure_args):
    build = os.path.join(project, "build")
    run(["cmake", "-S", project, "-B", build, *configure_args])
    run(["cmake", "--build", build])
    run([os.path.join(build, "app")])


def check_cmake_find_package(code, name):
    project = cmake_project(code, name)
    cmake_build_and_run(project, f"-DCMAKE_PREFIX_PATH={PREFIX}")


def check_cmake_add_subdirectory(code, name):
    project = cmake_project(code, name)
    os.makedirs(os.path.join(project, "third_party"))
    os.symlink(ROOT, os.path.join(project, "third_party", "tickguard"))
    cmake_build_and_run(project)


def check_pkg_config(code, name):
    project = os.path.join(WORK, name)
    write(os.path.join(project, "app.c"), APP_C)
    env = {"PKG_CONFIG_PATH": os.path.join(PREFIX, "lib", "pkgconfig")}
    run(["bash", "-euo", "pipefail", "-c", code], cwd=project, env=env)
    run([os.path.join(project, "app")], cwd=project)


def check_c_library(code, name):
    # Run from a directory shaped like the checkout (the snippet's paths are
    # relative to it) holding the reader's app.c.
    project = os.path.join(WORK, name)
    write(os.path.join(project, "app.c"), APP_C)
    for entry in ["include", "ffi", ".ci", "Cargo.toml"]:
        os.symlink(os.path.join(ROOT, entry), os.path.join(project, entry))
    run(["bash", "-euo", "pipefail", "-c", code], cwd=project)
    run([os.path.join(project, "app")], cwd=project)


RUST_PRELUDE = """#![no_std]
#![allow(dead_code)]
use tickguard::breaker::State;
use tickguard::time::Instant;
static CLOCK: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
fn tick_now() -> Instant {
    let t = CLOCK.load(core::sync::atomic::Ordering::Relaxed);
    CLOCK.store(t + 7, core::sync::atomic::Ordering::Relaxed); // load/store: every target has them
    Instant::from_ticks(u64::from(t))
}
fn do_call() -> bool { true }
fn log(_from: State, _to: State) {}
fn schedule_retry(_at: Option<Instant>) {}
"""
rust_quickstart = None


def new_crate(name, manifest):
    """Writes a stand-alone crate's Cargo.toml: a package section, then `manifest`."""
    crate = os.path.join(WORK, name)
    write(os.path.join(crate, "Cargo.toml"), f"""[package]
name = "readme-{name}"
version = "0.0.0"
edition = "2021"
[workspace]
{manifest}""")
    return crate


def run_host_program(name, main):
    """Builds and runs `main` as a program depending on the tickguard core."""
    crate = new_crate(name, f"""[dependencies]
tickguard = {{ path = "{os.path.join(ROOT, 'core')}" }}
""")
    write(os.path.join(crate, "src", "main.rs"), main)
    run(["cargo", "run", "--quiet", "--target-dir", TARGET_DIR], cwd=crate)


def check_rust_quickstart(code, name):
    global rust_quickstart
    rust_quickstart = code
    # On the host, as a program that runs the code.
    run_host_program(name, RUST_PRELUDE.replace("#![no_std]\n", "") + code + """
fn main() {
    for _ in 0..1_000 {
        on_request();
    }
    assert!(BREAKER.acquire(tick_now()).is_ok());
}
""")


def check_rust_program(code, name):
    run_host_program(name, "fn main() {\n" + code + "}\n")


def check_rust_redis(code, name):
    """Builds (without running: it needs a server) a program over tickguard-redis."""
    crate = new_crate(name, f"""[dependencies]
tickguard = {{ path = "{os.path.join(ROOT, 'core')}" }}
tickguard-redis = {{ path = "{os.path.join(ROOT, 'redis')}" }}
""")
    write(os.path.join(crate, "src", "main.rs"), code)
    run(["cargo", "build", "--quiet", "--target-dir", TARGET_DIR], cwd=crate)


def rust_target_build(toml, name, target, expect_failure=False):
    crate = new_crate(name, f"""[lib]
path = "lib.rs"
{toml}
[patch.crates-io]
tickguard = {{ path = "{os.path.join(ROOT, 'core')}" }}
""")
    write(os.path.join(crate, "lib.rs"), RUST_PRELUDE + rust_quickstart +
          "\npub fn entry() {\n    on_request();\n}\n")
    cmd = ["cargo", "build", "--quiet", "--target-dir", TARGET_DIR]
    if target:
        cmd += ["--target", target]
    run(cmd, cwd=crate, expect_failure=expect_failure)


def check_toml_hosted(code, name):
    rust_target_build(code, name, None)
    # Without a backend, every bare-metal target must fail to compile.
    for target in ["thumbv6m-none-eabi", "thumbv7em-none-eabihf", "riscv32imc-unknown-none-elf"]:
        rust_target_build(code, f"{name}-{target}", target, expect_failure=True)


def check_toml_cortex_m(code, name):
    for target in ["thumbv6m-none-eabi", "thumbv7em-none-eabihf"]:
        rust_target_build(code, f"{name}-{target}", target)


def check_toml_riscv32(code, name):
    rust_target_build(code, name, "riscv32imc-unknown-none-elf")


def check_c_tick_extender(code, name):
    prelude = """#include <stdint.h>
static uint32_t hal_ticks = 0xFFFFFFF0u; /* about to wrap */
static void HAL_IncTick(void) { hal_ticks++; }
static uint32_t HAL_GetTick(void) { return hal_ticks; }
"""
    epilogue = """
int main(void) {
  setup_clock();
  uint64_t first = now_ticks();
  for (int i = 0; i < 100; i++) SysTick_Handler();
  return now_ticks() == first + 100 ? 0 : 1; /* across the 32-bit wrap */
}
"""
    src = write(os.path.join(WORK, name, "main.c"), prelude + code + epilogue)
    exe = os.path.join(WORK, name, "main")
    run(["cc", "-std=c11", *WARN, "-I", os.path.join(ROOT, "include"), src, LIB, "-o", exe])
    run([exe])


CHECKS = {
    "shell": check_shell,
    "c-program": check_c_program,
    "cpp-quickstart": check_cpp_quickstart,
    "cmake-find-package": check_cmake_find_package,
    "cmake-add-subdirectory": check_cmake_add_subdirectory,
    "pkg-config": check_pkg_config,
    "c-library": check_c_library,
    "rust-quickstart": check_rust_quickstart,
    "toml-hosted": check_toml_hosted,
    "toml-cortex-m": check_toml_cortex_m,
    "toml-riscv32": check_toml_riscv32,
    "c-tick-extender": check_c_tick_extender,
    "rust-program": check_rust_program,
    "rust-redis": check_rust_redis,
    # A diagram or directory listing, not code.
    "text": lambda code, name: None,
}


def main():
    # README first: its Rust quick start is what the Cargo.toml snippets in
    # docs/ build for each target.
    docs = ["README.md"] + sorted(os.path.join("docs", name)
                                  for name in os.listdir(os.path.join(ROOT, "docs"))
                                  if name.endswith(".md"))
    checked = 0
    try:
        for doc in docs:
            text = open(os.path.join(ROOT, doc)).read()
            blocks = list(re.finditer(
                r"(?:<!-- snippet: (?P<kind>[\w-]+) -->\n)?```(?P<lang>[\w+]*)\n(?P<code>.*?)```", text, re.S))
            for index, block in enumerate(blocks):
                kind = block.group("kind")
                line = text.count("\n", 0, block.start("code"))
                if kind is None:
                    raise SystemExit(f"readme-snippets: {doc}:{line}: code block without a "
                                     "<!-- snippet: KIND --> marker")
                if kind not in CHECKS:
                    raise SystemExit(f"readme-snippets: {doc}:{line}: unknown snippet kind {kind}")
                name = re.sub(r"\W", "-", doc) + f"-{index:02}-{kind}"
                CHECKS[kind](block.group("code"), name)
                if kind != "text":
                    checked += 1
                print(f"readme-snippets: {doc}:{line}: {kind} ok")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"readme-snippets: {checked} snippets compiled or run")


main()
