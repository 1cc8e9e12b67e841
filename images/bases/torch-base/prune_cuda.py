"""Removes the CUDA shared objects that nothing in the venv links, and checks what stays.

    python3 prune_cuda.py <site-packages>           remove, then check
    python3 prune_cuda.py --check <site-packages>   only check (an image built on the base)

torch 2.14.0 from PyPI is a CUDA build: its libraries link (ELF DT_NEEDED) cuBLAS, cuDNN,
cuFFT, … so those wheels must be installed for `import torch` to work, even on a CPU. But
most of their files are libraries that nothing links and that are only ever dlopen'ed by a
GPU code path (cuDNN's engines and sub-libraries, NVRTC's alternative build and builtins,
CUPTI's profiler hosts, NVSHMEM's transports, …). This removes every shared object under
`nvidia/` that is not in the DT_NEEDED closure of the shared objects outside `nvidia/`
(torch's, and every extension module installed), then checks that every library of that
closure still finds each of its DT_NEEDED names (in the venv's library folders or the
system's), bar the ones listed in LAZY below. Prints what it kept and removed.

Standard library only: the ELF dynamic section is read directly (no readelf in the image).
"""
import os
import struct
import sys

# DT_NEEDED names that are not in the image and that no CPU run loads: the CUDA driver
# (a GPU node's; only libcaffe2_nvrtc.so, loaded for CUDA code generation, links it), and
# cuSOLVER, left out: only torch's libtorch_cuda_linalg.so links it, which torch dlopens
# for CUDA linear algebra alone.
LAZY = {("torch/lib/libcaffe2_nvrtc.so", "libcuda.so.1"), ("torch/lib/libtorch_cuda_linalg.so", "libcusolver.so.12")}
# Kept although no DT_NEEDED names it: cuDNN's dispatcher (libcudnn.so.9) dlopens its graph
# library for cudnnGetVersion, which torch.backends.cudnn.version() calls even with no GPU;
# without it that call aborts the process ("Cannot load symbol cudnnGetVersion").
ALSO_KEEP = {"nvidia/cudnn/lib/libcudnn_graph.so.9"}
DT_NEEDED = 1


def needed(path):
    """The DT_NEEDED names of an ELF64 little-endian shared object, or None if not one."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return None
        shoff, = struct.unpack_from("<Q", head, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", head, 0x3A)
        f.seek(shoff)
        sections = [struct.unpack("<IIQQQQIIQQ", f.read(shentsize)[:64]) for _ in range(shnum)]
        for (_name, sh_type, _flags, _addr, offset, size, link, _info, _align, _entsize) in sections:
            if sh_type != 6:  # SHT_DYNAMIC
                continue
            strtab = sections[link]
            f.seek(strtab[4])
            strings = f.read(strtab[5])
            f.seek(offset)
            dyn = f.read(size)
            names = []
            for i in range(0, len(dyn), 16):
                tag, val = struct.unpack_from("<qQ", dyn, i)
                if tag == 0:
                    break
                if tag == DT_NEEDED:
                    names.append(strings[val:strings.index(b"\0", val)].decode())
            return names
        return []


def shared_objects(root):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if ".so" in name and not os.path.islink(os.path.join(dirpath, name)):
                yield os.path.join(dirpath, name)


def main(site, check_only=False):
    nvidia = os.path.join(site, "nvidia")
    libs = {}  # soname-ish file name -> path, for every library in the venv
    for path in shared_objects(site):
        libs.setdefault(os.path.basename(path), path)
    roots = [p for p in shared_objects(site) if not p.startswith(nvidia + os.sep)]
    roots += [os.path.join(site, p) for p in sorted(ALSO_KEEP) if os.path.exists(os.path.join(site, p))]
    system = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"]
    keep, todo, missing = set(), list(roots), []
    while todo:
        path = todo.pop()
        if path in keep:
            continue
        keep.add(path)
        for name in needed(path) or []:
            if name in libs:
                todo.append(libs[name])
            elif not any(os.path.exists(os.path.join(d, name)) for d in system) \
                    and (os.path.relpath(path, site), name) not in LAZY:
                missing.append(f"{os.path.relpath(path, site)} needs {name}")
    kept = removed = 0
    for path in sorted(shared_objects(nvidia)):
        size = os.path.getsize(path)
        if path in keep or check_only:
            kept += size
            if not check_only:
                print(f"keep   {size / 1e6:8.1f} MB  {os.path.relpath(path, site)}")
        else:
            removed += size
            print(f"remove {size / 1e6:8.1f} MB  {os.path.relpath(path, site)}")
            os.remove(path)
    if check_only:
        print(f"nvidia/: {kept / 1e6:.0f} MB of shared objects; every DT_NEEDED found" if not missing else "")
    else:
        print(f"nvidia/: kept {kept / 1e6:.0f} MB of shared objects, removed {removed / 1e6:.0f} MB")
    if missing:
        print("prune_cuda: libraries whose DT_NEEDED is not in the venv or the system:", file=sys.stderr)
        for m in sorted(set(missing)):
            print(f"  {m}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        main(sys.argv[2], check_only=True)
    else:
        main(sys.argv[1])
