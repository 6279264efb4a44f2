#!/usr/bin/env python3
"""scripts/make-images.py — build hutch's test images and push them to a local registry.

Test harness code (python3 standard library only), not part of hutch. The images are made
from Debian's busybox-static package (downloaded with `apt-get download` into a cache dir,
unpacked with `dpkg -x`), so no outside registry is needed. Tar streams are deterministic
(sorted entries, fixed mtime, numeric owners), so the digests only change when the
busybox-static package does.

Images pushed (REGISTRY/NAME:latest):
  busybox        Docker schema 2 manifest, one gzip layer (amd64)
  busybox-oci    OCI image manifest, one gzip layer (amd64)
  busybox-multi  OCI image index: linux/amd64 + linux/arm64/v8 (OCI manifests)
  busybox-list   Docker manifest list: linux/amd64 + linux/arm64/v8 (schema 2 manifests)
  busybox-zstd   OCI image manifest, one zstd layer (amd64)
  layered        OCI manifest, busybox + 3 layers (gzip), final filesystem:
                   /data/keep.txt            "keep\\n"       (layer 1)
                   /data/deleteme.txt        absent          (layer 1, whiteout in layer 2)
                   /data/gone/               absent          (layer 1, whiteout in layer 2)
                   /opq/                     only new.txt    (opaque in layer 2; layer 1 had
                                                              old1.txt and sub/old2.txt)
                   /again/                   only y.txt      (layer 1 x.txt, dir whited out in
                                                              layer 2, re-created in layer 3)
                   /l3/a, /l3/b              hardlinks, "hard\\n" (layer 3)
                   /l3/link -> ../data/keep.txt symlink  (layer 3)
  big            (only with --big) busybox + one ~200 MiB layer of incompressible data

With --rootfs-image NAME:TAG[,TAG...]=DIR (repeatable) only those images are pushed (not the
busybox set): DIR (a root filesystem on disk, e.g. a debootstrap tree) becomes one gzip layer
of a Docker schema 2 image, config from --rootfs-cmd / --rootfs-stop-signal, PATH env. Tar:
sorted, numeric owners, modes incl. setuid/sticky, file mtimes as on disk, symlinks,
hardlinks (first path in sorted order is the target); device nodes, fifos and sockets are
skipped (an engine creates /dev), xattrs are not stored. With --rootfs-layer-cache DIR the
compressed layer and its digests are kept there, so the next seed only uploads it.

Every image: Cmd ["sh"], PATH env, /etc/passwd with root(0), tester(1000) and
nobody(65534); /etc/group with root(0), tester(1000), nogroup(65534).

Usage: make-images.py [--registry 127.0.0.1:5000] [--big] [--cache-dir /var/cache/hutch-test]
       make-images.py [--registry ...] --rootfs-image debian-systemd:bookworm,latest=ROOTFS
                      [--rootfs-cmd "/sbin/init"] [--rootfs-stop-signal SIGRTMIN+3]
                      [--rootfs-layer-cache DIR] [--rootfs-history TEXT]
"""

import argparse
import glob
import gzip
import hashlib
import http.client
import io
import json
import os
import random
import shlex
import stat
import subprocess
import sys
import tarfile
import time
import urllib.parse

MTIME = 1700000000  # fixed mtime for every tar entry (2023-11-14)
CREATED = "2023-11-14T22:13:20Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\ntester:x:1000:\nnogroup:x:65534:\n"


def log(msg):
    print(f"[make-images] {msg}", file=sys.stderr, flush=True)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- busybox package


def ensure_arch(arch):
    """Make apt know about a foreign architecture (dpkg --add-architecture + apt-get update)."""
    native = subprocess.run(["dpkg", "--print-architecture"], check=True,
                            capture_output=True, text=True).stdout.strip()
    if arch == native:
        return
    foreign = subprocess.run(["dpkg", "--print-foreign-architectures"], check=True,
                             capture_output=True, text=True).stdout.split()
    if arch not in foreign:
        log(f"dpkg --add-architecture {arch} && apt-get update")
        subprocess.run(["dpkg", "--add-architecture", arch], check=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)


def busybox_binary(cache, arch):
    """Path of the busybox binary for `arch`, downloading and unpacking the .deb once."""
    debs = sorted(glob.glob(os.path.join(cache, f"busybox-static_*_{arch}.deb")))
    # -o APT::Sandbox::User=root: the cache dir is root's; silences apt's _apt warning.
    download = ["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download",
                f"busybox-static:{arch}"]
    if not debs:
        ensure_arch(arch)
        log(f"apt-get download busybox-static:{arch} into {cache}")
        r = subprocess.run(download, cwd=cache)
        if r.returncode != 0 and arch != "amd64":
            # The package list for the foreign arch may be stale or missing: refresh once.
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            r = subprocess.run(download, cwd=cache)
        if r.returncode != 0:
            sys.exit(f"make-images: apt-get download busybox-static:{arch} failed "
                     f"(exit {r.returncode}); cannot build the {arch} image")
        debs = sorted(glob.glob(os.path.join(cache, f"busybox-static_*_{arch}.deb")))
        if not debs:
            sys.exit(f"make-images: no busybox-static_*_{arch}.deb in {cache} after download")
    deb = debs[-1]
    out = deb[:-4] + ".x"
    binary = os.path.join(out, "bin", "busybox")
    if not os.path.exists(binary):
        subprocess.run(["dpkg", "-x", deb, out], check=True)
    return binary


def applets(amd64_busybox):
    """Applet names from `busybox --list` (run the host-arch binary; same list for arm64)."""
    out = subprocess.run([amd64_busybox, "--list"], check=True, capture_output=True,
                         text=True).stdout
    return sorted({a for a in out.split() if a and a != "busybox" and "/" not in a})


# --------------------------------------------------------------------------- deterministic tar


class Tar:
    """Builds an uncompressed tar in memory; entries are emitted sorted by path."""

    def __init__(self):
        self.entries = {}  # path -> (TarInfo, bytes or None)

    def _info(self, path, kind, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(path)
        ti.type = kind
        ti.mode = mode
        ti.mtime = MTIME
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        return ti

    def dir(self, path, mode=0o755, uid=0, gid=0):
        self.entries[path] = (self._info(path, tarfile.DIRTYPE, mode, uid, gid), None)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(path, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.entries[path] = (ti, data)

    def symlink(self, path, target):
        ti = self._info(path, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.entries[path] = (ti, None)

    def hardlink(self, path, target):
        ti = self._info(path, tarfile.LNKTYPE, 0o644)
        ti.linkname = target
        self.entries[path] = (ti, None)

    def whiteout(self, path):
        d, base = os.path.split(path)
        self.file(os.path.join(d, ".wh." + base), b"", 0o600)

    def opaque(self, dirpath):
        self.file(os.path.join(dirpath, ".wh..wh..opq"), b"", 0o600)

    def bytes(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
            # Sort so that a hardlink always comes after its target ("a" < "b" here) and
            # parents before children.
            for path in sorted(self.entries):
                ti, data = self.entries[path]
                tf.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()


def busybox_rootfs(binary, names):
    t = Tar()
    for d in ("bin", "dev", "etc", "home", "proc", "sys", "usr", "usr/bin", "var", "var/tmp"):
        t.dir(d)
    t.dir("root", 0o700)
    t.dir("tmp", 0o1777)
    t.dir("home/tester", 0o755, 1000, 1000)
    with open(binary, "rb") as f:
        t.file("bin/busybox", f.read(), 0o755)
    for a in names:
        t.symlink(f"bin/{a}", "busybox")
    t.file("etc/passwd", PASSWD)
    t.file("etc/group", GROUP)
    return t.bytes()


def layered_layers():
    l1 = Tar()
    for d in ("data", "data/gone", "opq", "opq/sub", "again"):
        l1.dir(d)
    l1.file("data/keep.txt", "keep\n")
    l1.file("data/deleteme.txt", "delete me\n")
    l1.file("data/gone/inner.txt", "inner\n")
    l1.file("opq/old1.txt", "old1\n")
    l1.file("opq/sub/old2.txt", "old2\n")
    l1.file("again/x.txt", "x\n")

    l2 = Tar()
    l2.dir("data")
    l2.whiteout("data/deleteme.txt")
    l2.whiteout("data/gone")
    l2.dir("opq")
    l2.opaque("opq")
    l2.file("opq/new.txt", "new\n")
    l2.whiteout("again")

    l3 = Tar()
    l3.dir("again")
    l3.file("again/y.txt", "y\n")
    l3.dir("l3")
    l3.file("l3/a", "hard\n")
    l3.hardlink("l3/b", "l3/a")
    l3.symlink("l3/link", "../data/keep.txt")
    return [l1.bytes(), l2.bytes(), l3.bytes()]


# --------------------------------------------------------------------------- compression


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def zst(data):
    return subprocess.run(["zstd", "-q", "-c", "-3", "--no-progress"], input=data,
                          check=True, capture_output=True).stdout


# --------------------------------------------------------------------------- registry client


class Registry:
    def __init__(self, addr):
        self.addr = addr
        self.pushed_blobs = 0

    def request(self, method, path, body=None, headers=None, length=None):
        conn = http.client.HTTPConnection(self.addr, timeout=600)
        hdrs = dict(headers or {})
        if body is not None and length is not None:
            hdrs["Content-Length"] = str(length)
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def has_blob(self, repo, digest):
        resp, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        return resp.status == 200

    def push_blob(self, repo, digest, body, length):
        """Monolithic upload: POST to open an upload session, PUT with ?digest= and the body."""
        if self.has_blob(repo, digest):
            return
        resp, data = self.request("POST", f"/v2/{repo}/blobs/uploads/", b"", length=0)
        if resp.status != 202:
            sys.exit(f"make-images: POST upload for {repo} -> {resp.status} {data[:200]!r}")
        loc = urllib.parse.urlsplit(resp.getheader("Location"))
        sep = "&" if loc.query else ""
        path = f"{loc.path}?{loc.query}{sep}digest={urllib.parse.quote(digest)}"
        resp, data = self.request("PUT", path, body, {"Content-Type": "application/octet-stream"},
                                  length)
        if resp.status != 201:
            sys.exit(f"make-images: PUT blob {digest} to {repo} -> {resp.status} {data[:200]!r}")
        self.pushed_blobs += 1

    def push_bytes(self, repo, data):
        digest = sha256(data)
        self.push_blob(repo, digest, data, len(data))
        return digest

    def push_manifest(self, repo, ref, media_type, manifest):
        body = json.dumps(manifest, indent=3).encode()
        resp, data = self.request("PUT", f"/v2/{repo}/manifests/{ref}", body,
                                  {"Content-Type": media_type}, len(body))
        if resp.status != 201:
            sys.exit(f"make-images: PUT manifest {repo}:{ref} -> {resp.status} {data[:300]!r}")
        return sha256(body), len(body)


# --------------------------------------------------------------------------- images


class Layer:
    """A layer blob: its compressed bytes (or a file path), digest, size and diff_id."""

    def __init__(self, media, digest, size, diff_id, data=None, path=None):
        self.media, self.digest, self.size, self.diff_id = media, digest, size, diff_id
        self.data, self.path = data, path

    @staticmethod
    def of(tar_bytes, compress, media):
        blob = compress(tar_bytes)
        return Layer(media, sha256(blob), len(blob), sha256(tar_bytes), data=blob)


def push_image(reg, repo, ref, layers, arch, docker=False, variant=None, history=None,
               cmd=("sh",), stop_signal=None, volumes=None):
    """Push layers + config + manifest; returns (manifest digest, size, media type)."""
    for layer in layers:
        if layer.path:
            with open(layer.path, "rb") as f:
                reg.push_blob(repo, layer.digest, f, layer.size)
        else:
            reg.push_blob(repo, layer.digest, layer.data, layer.size)
    config = {
        "architecture": arch,
        "os": "linux",
        "created": CREATED,
        "config": {"Env": [PATH_ENV], "Cmd": list(cmd)},
        "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]},
        "history": [{"created": CREATED, "created_by": h} for h in
                    (history or [f"make-images.py layer {i}" for i in range(len(layers))])],
    }
    if variant:
        config["variant"] = variant
    if stop_signal:
        config["config"]["StopSignal"] = stop_signal
    if volumes:
        config["config"]["Volumes"] = {v: {} for v in volumes}
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_digest = reg.push_bytes(repo, cfg)
    mt = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt,
        "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                   "digest": cfg_digest, "size": len(cfg)},
        "layers": [{"mediaType": DOCKER_LAYER_GZIP if docker else l.media,
                    "digest": l.digest, "size": l.size} for l in layers],
    }
    digest, size = reg.push_manifest(repo, ref, mt, manifest)
    return digest, size, mt


def push_index(reg, repo, ref, entries, docker=False):
    mt = DOCKER_LIST if docker else OCI_INDEX
    index = {"schemaVersion": 2, "mediaType": mt, "manifests": []}
    for (digest, size, media), platform in entries:
        index["manifests"].append({"mediaType": media, "digest": digest, "size": size,
                                   "platform": platform})
    return reg.push_manifest(repo, ref, mt, index)[0]


def big_layer(cache):
    """~200 MiB of seeded pseudo-random (incompressible) data in one gzip layer, cached."""
    path = os.path.join(cache, "big-layer-v1.tar.gz")
    meta = path + ".json"
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
        return Layer(OCI_LAYER_GZIP, m["digest"], m["size"], m["diff_id"], path=path)
    log("generating the 200 MiB big layer (once; cached in %s)" % cache)
    t = Tar()
    t.dir("big")
    rng = random.Random(20231114)
    for i in range(4):
        t.file(f"big/blob{i}.bin", rng.randbytes(50 << 20))
    raw = t.bytes()
    blob = gzip.compress(raw, compresslevel=1, mtime=0)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.rename(tmp, path)
    m = {"digest": sha256(blob), "size": len(blob), "diff_id": sha256(raw)}
    with open(meta, "w") as f:
        json.dump(m, f)
    return Layer(OCI_LAYER_GZIP, m["digest"], m["size"], m["diff_id"], path=path)


# --------------------------------------------------------------------------- rootfs images


class _HashingWriter:
    """File-like sink that hashes (sha256) and counts what passes through to `out`."""

    def __init__(self, out):
        self.out, self.h, self.n = out, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        self.out.write(b)
        return len(b)

    def flush(self):
        self.out.flush()


def write_rootfs_tar(root, out):
    """Stream a deterministic tar of directory `root` into file-like `out`.

    Returns a dict of skipped-entry counts. Entries are visited depth-first in sorted order
    (parents before children); a path on another filesystem than `root` is kept as an empty
    directory (a mount point left behind) and not descended into.
    """
    skipped = {"device": 0, "fifo": 0, "socket": 0, "other-fs": 0}
    seen_inodes = {}  # (dev, ino) -> first tar path, for hardlinks
    root_dev = os.lstat(root).st_dev
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as tf:
        def info(rel, st, kind):
            ti = tarfile.TarInfo(rel)
            ti.type = kind
            ti.mode = stat.S_IMODE(st.st_mode)
            ti.uid, ti.gid = st.st_uid, st.st_gid
            ti.uname = ti.gname = ""
            ti.mtime = int(st.st_mtime)
            return ti

        def walk(abs_dir, rel_dir):
            for name in sorted(os.listdir(abs_dir)):
                ap = os.path.join(abs_dir, name)
                rel = f"{rel_dir}/{name}" if rel_dir else name
                st = os.lstat(ap)
                m = st.st_mode
                if stat.S_ISDIR(m):
                    tf.addfile(info(rel, st, tarfile.DIRTYPE))
                    if st.st_dev != root_dev:
                        skipped["other-fs"] += 1
                        continue
                    walk(ap, rel)
                elif stat.S_ISREG(m):
                    key = (st.st_dev, st.st_ino)
                    if st.st_nlink > 1 and key in seen_inodes:
                        ti = info(rel, st, tarfile.LNKTYPE)
                        ti.linkname = seen_inodes[key]
                        tf.addfile(ti)
                        continue
                    if st.st_nlink > 1:
                        seen_inodes[key] = rel
                    ti = info(rel, st, tarfile.REGTYPE)
                    ti.size = st.st_size
                    with open(ap, "rb") as f:
                        tf.addfile(ti, f)
                elif stat.S_ISLNK(m):
                    ti = info(rel, st, tarfile.SYMTYPE)
                    ti.mode = 0o777
                    ti.linkname = os.readlink(ap)
                    tf.addfile(ti)
                elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
                    skipped["device"] += 1
                elif stat.S_ISFIFO(m):
                    skipped["fifo"] += 1
                else:
                    skipped["socket"] += 1

        walk(root, "")
    return skipped


def rootfs_layer(root, cache_dir=None):
    """A gzip Layer of directory `root`; cached in `cache_dir` (blob + digests) if given.

    The cache file names include a hash of `root`'s real path, so one cache dir can hold the
    layers of several trees. Cache validity is the caller's business (key the dir by the
    rootfs's inputs). Writes to a temp name and renames; the .json is written last.
    """
    path = meta = None
    if cache_dir:
        tag = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:12]
        path = os.path.join(cache_dir, f"layer-v1-{tag}.tar.gz")
        meta = path + ".json"
        if os.path.exists(path) and os.path.exists(meta):
            with open(meta) as f:
                m = json.load(f)
            if os.path.getsize(path) == m["size"]:
                log(f"cached layer {path} ({m['size'] >> 20} MiB, {m['digest'][:19]})")
                return Layer(OCI_LAYER_GZIP, m["digest"], m["size"], m["diff_id"], path=path)
    if path is None:
        path = os.path.join(tempfile_dir(), f"rootfs-{os.getpid()}.tar.gz")
    t0 = time.monotonic()
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        blob_w = _HashingWriter(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=blob_w, compresslevel=6,
                           mtime=0) as gzf:
            diff_w = _HashingWriter(gzf)
            skipped = write_rootfs_tar(root, diff_w)
    os.rename(tmp, path)
    m = {"digest": "sha256:" + blob_w.h.hexdigest(), "size": blob_w.n,
         "diff_id": "sha256:" + diff_w.h.hexdigest(), "tar_size": diff_w.n}
    if meta:
        with open(meta + ".tmp", "w") as f:
            json.dump(m, f)
        os.rename(meta + ".tmp", meta)
    log(f"layer of {root}: tar {diff_w.n >> 20} MiB -> gzip {blob_w.n >> 20} MiB in "
        f"{time.monotonic() - t0:.1f} s; skipped {skipped}")
    return Layer(OCI_LAYER_GZIP, m["digest"], m["size"], m["diff_id"], path=path)


def tempfile_dir():
    return os.environ.get("TMPDIR", "/var/tmp")


def parse_rootfs_spec(spec):
    """'NAME:TAG[,TAG...]=DIR' -> (NAME, [TAG...], DIR); exits with a message if malformed."""
    ref, sep, root = spec.partition("=")
    name, sep2, tags = ref.rpartition(":")
    if not sep or not sep2 or not name or not tags or not root:
        sys.exit(f"make-images: --rootfs-image {spec!r}: expected NAME:TAG[,TAG...]=DIR")
    if not os.path.isdir(root):
        sys.exit(f"make-images: --rootfs-image {spec!r}: {root} is not a directory")
    return name, [t for t in tags.split(",") if t], root


def push_rootfs_images(reg, args):
    """Push every --rootfs-image; returns [(ref, digest, description)]."""
    pushed = []
    for spec in args.rootfs_image:
        name, tags, root = parse_rootfs_spec(spec)
        layer = rootfs_layer(root, args.rootfs_layer_cache)
        t0 = time.monotonic()
        before = reg.pushed_blobs
        history = [args.rootfs_history or f"make-images.py --rootfs-image {name}"]
        cmd = shlex.split(args.rootfs_cmd)
        for tag in tags:
            d, _, _ = push_image(reg, name, tag, [layer], "amd64", docker=True, history=history,
                                 cmd=cmd, stop_signal=args.rootfs_stop_signal)
            pushed.append((f"{args.registry}/{name}:{tag}", d,
                           f"Docker schema2, 1 gzip layer {layer.size >> 20} MiB, Cmd {cmd}"))
        log(f"pushed {name}:{','.join(tags)} in {time.monotonic() - t0:.1f} s "
            f"({reg.pushed_blobs - before} new blobs)")
        if not args.rootfs_layer_cache:
            os.unlink(layer.path)  # a temp file, see rootfs_layer
    return pushed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--registry", default=os.environ.get("HUTCH_TEST_REGISTRY", "127.0.0.1:5000"))
    ap.add_argument("--cache-dir", default="/var/cache/hutch-test")
    ap.add_argument("--big", action="store_true", help="also push big:latest (200 MiB layer)")
    ap.add_argument("--rootfs-image", action="append", default=[], metavar="NAME:TAG[,TAG]=DIR",
                    help="push DIR as a one-layer image (repeatable); skips the busybox set")
    ap.add_argument("--rootfs-cmd", default="/bin/sh", help="Cmd of --rootfs-image (shell words)")
    ap.add_argument("--rootfs-stop-signal", default=None, help="StopSignal of --rootfs-image")
    ap.add_argument("--rootfs-layer-cache", default=None, metavar="DIR",
                    help="keep the --rootfs-image layer blob in DIR and reuse it")
    ap.add_argument("--rootfs-history", default=None, help="history created_by text")
    args = ap.parse_args()

    if args.rootfs_image:
        reg = Registry(args.registry)
        pushed = push_rootfs_images(reg, args)
        for ref, digest, what in pushed:
            print(f"pushed {ref:40} {digest}  {what}")
        log(f"{len(pushed)} images, {reg.pushed_blobs} new blobs uploaded to {args.registry}")
        return

    os.makedirs(args.cache_dir, exist_ok=True)
    reg = Registry(args.registry)
    r = args.registry
    pushed = []

    amd64_bin = busybox_binary(args.cache_dir, "amd64")
    arm64_bin = busybox_binary(args.cache_dir, "arm64")
    names = applets(amd64_bin)
    rootfs = {"amd64": busybox_rootfs(amd64_bin, names), "arm64": busybox_rootfs(arm64_bin, names)}
    base_gz = {a: Layer.of(t, gz, OCI_LAYER_GZIP) for a, t in rootfs.items()}
    arm = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    amd = {"architecture": "amd64", "os": "linux"}

    def note(name, digest, what):
        pushed.append((f"{r}/{name}:latest", digest, what))

    d, _, _ = push_image(reg, "busybox", "latest", [base_gz["amd64"]], "amd64", docker=True)
    note("busybox", d, "Docker schema2, 1 gzip layer, amd64")

    d, _, _ = push_image(reg, "busybox-oci", "latest", [base_gz["amd64"]], "amd64")
    note("busybox-oci", d, "OCI manifest, 1 gzip layer, amd64")

    entries = []
    for arch, plat, variant in (("amd64", amd, None), ("arm64", arm, "v8")):
        m = push_image(reg, "busybox-multi", f"{arch}", [base_gz[arch]], arch, variant=variant)
        entries.append((m, plat))
    d = push_index(reg, "busybox-multi", "latest", entries)
    note("busybox-multi", d, "OCI index: linux/amd64 %s, linux/arm64/v8 %s"
         % (entries[0][0][0][7:19], entries[1][0][0][7:19]))

    entries = []
    for arch, plat, variant in (("amd64", amd, None), ("arm64", arm, "v8")):
        m = push_image(reg, "busybox-list", f"{arch}", [base_gz[arch]], arch, docker=True,
                       variant=variant)
        entries.append((m, plat))
    d = push_index(reg, "busybox-list", "latest", entries, docker=True)
    note("busybox-list", d, "Docker manifest list: linux/amd64, linux/arm64/v8")

    zl = Layer.of(rootfs["amd64"], zst, OCI_LAYER_ZSTD)
    d, _, _ = push_image(reg, "busybox-zstd", "latest", [zl], "amd64")
    note("busybox-zstd", d, "OCI manifest, 1 zstd layer, amd64")

    layers = [base_gz["amd64"]] + [Layer.of(t, gz, OCI_LAYER_GZIP) for t in layered_layers()]
    d, _, _ = push_image(reg, "layered", "latest", layers, "amd64")
    note("layered", d, "OCI manifest, 4 gzip layers (whiteouts, opaque dir, hardlink)")

    d, _, _ = push_image(reg, "layered-volume", "latest", layers, "amd64", volumes=["/data", "/l3"])
    note("layered-volume", d, "layered with VOLUME /data and /l3 (anonymous volumes, copy-up)")

    if args.big:
        bl = big_layer(args.cache_dir)
        d, _, _ = push_image(reg, "big", "latest", [base_gz["amd64"], bl], "amd64")
        note("big", d, f"OCI manifest, busybox + {bl.size >> 20} MiB gzip layer")

    for ref, digest, what in pushed:
        print(f"pushed {ref:40} {digest}  {what}")
    log(f"{len(pushed)} images, {reg.pushed_blobs} new blobs uploaded to {r}")


if __name__ == "__main__":
    main()
