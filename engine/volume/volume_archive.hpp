// `volume export` and `volume import` (podman's): a named volume's content as one tar, and
// a tar extracted into an existing volume.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Writes the content of volume `name` (its _data directory; the directory itself is not an
/// entry, as podman's) as one uncompressed tar through `out`, owners as the session sees them
/// (storage/layer_tar.hpp's writer: sorted, pax where needed, hardlinks once). The volumes
/// lock is held shared meanwhile, so the volume cannot be removed half-way.
/// Throws NotFound ("no such volume NAME", podman's words), InvalidArgument for a volume
/// whose content is a device mounted only while a container runs (`--opt type=` other than
/// tmpfs: podman's "volume is using a driver local and volume is not mounted on PATH"),
/// SysError naming the path, whatever `out` throws.
void exportVolume(Context& ctx, const std::string& name, const std::function<void(const void*, size_t)>& out);

/// Extracts the tar read through `in` (plain, gzip, xz, bzip2 or zstd; `in` returns up to n
/// bytes, 0 at the end) into volume `name`, which must exist; its content is merged, the
/// archive's entries replacing files of the same name (podman's). Extraction is plain (a
/// `.wh.` name is an ordinary file) with the layer applier's path rules: every path resolved
/// inside the volume (openat2 RESOLVE_IN_ROOT; absolute paths and symlinks stay inside), an
/// entry naming a place above the volume is refused. Owners are restored (session ids).
/// An empty stream imports nothing. Throws NotFound as exportVolume, InvalidArgument for
/// a malformed archive or an escaping entry ("volume NAME: ..." before the entry's error;
/// what was extracted before it stays), SysError, whatever `in` throws.
void importVolume(Context& ctx, const std::string& name, const std::function<size_t(void*, size_t)>& in);

}  // namespace hutch::engine
