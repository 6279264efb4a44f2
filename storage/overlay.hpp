// overlay driver: each layer keeps only its own files (its diff); a container's rootfs is a
// native overlayfs mount of its writable diff over the image's layers. Layout (short links,
// `lower` files) in paths.hpp, as containers/storage's overlay driver lays it out.
//
// Rootless, the mount is made inside the session's user + mount namespace with the
// `userxattr` option (Linux >= 5.11), so opaque directories carry `user.overlay.opaque`;
// real root uses `trusted.overlay.opaque`. The mount uses the new mount API with one
// "lowerdir+" per layer (Linux >= 6.8: no limit on the option size), falling back to the
// classic one-page option string with short relative `l/` links.
#pragma once

#include <string>
#include <vector>

#include "hutch/storage/driver.hpp"

namespace hutch::storage {

/// Layers in graphroot/overlay/<id>/ (paths.hpp).
class OverlayDriver : public Driver {
public:
    /// Creates graphroot/overlay/l. Whether `userxattr` is needed is read from the
    /// process's user namespace (inUserNamespace()).
    explicit OverlayDriver(std::string graphRoot);
    std::string name() const override { return "overlay"; }
    /// Layers are applied into their own empty diff: no parent data needed.
    bool parallelApply() const override { return true; }
    /// Makes overlay/<id>/diff, a short link l/<SHORT> -> ../<id>/diff, a `parent` file and,
    /// when the parents' data exist already, the `lower` file (else lowers() writes it
    /// later: layers of one image are created in parallel, in any order).
    void create(const std::string& id, const std::string& parent) override;
    /// Applies the tar into diff/ in overlay whiteout format (applier.hpp WhiteoutFormat).
    ApplyResult applyDiff(const std::string& id, const ReadFn& diff) override;
    /// Unmounts (MNT_DETACH), removes the short link and the layer directory.
    void remove(const std::string& id) override;
    /// overlay/<id>/merged.
    std::string path(const std::string& id) const override;
    bool exists(const std::string& id) const override;
    /// Mounts diff (upper) over the parents' diffs at merged/ (work/ as workdir). Throws
    /// Error naming the layer for a failed mount or an image too deep to mount.
    std::string mount(const std::string& id, bool disposable) override;
    /// The diff dir as is (writeOverlayDiff); `parent` is not needed.
    LayerTarResult diff(const std::string& id, const std::string& parent, const WriteFn& out,
                        const fsutil::IdShift* unshift = nullptr) override;
    void unmount(const std::string& id) override;
    /// The diff dir against the parents' diffs (overlayChangeset, overlayLowerView); `parent`
    /// is not needed.
    std::vector<Change> changes(const std::string& id, const std::string& parent) override;
    /// Writes the mapping to overlay/<id>/idmap and re-owns diff/; mount() then stacks the
    /// parents' shifted copies, overlay/<parent>/mapped/<key> (key: a hash of the mapping),
    /// made there once (a temporary directory renamed into place).
    void shiftLayer(const std::string& id, const fsutil::IdShift& shift) override;
    void dropShifted(const std::string& id, const fsutil::IdShift& shift) noexcept override;
    uint32_t maxOwnerId(const std::string& id) const override { return fsutil::maxOwnerId(layerDir(id) + "/diff"); }

    /// The lower short links of layer `id` ("l/SHORT"), nearest parent first, from its
    /// `lower` file, which is made from the parent chain when missing. Throws NotFound when
    /// a parent's data do not exist (yet).
    std::vector<std::string> lowers(const std::string& id) const;

private:
    std::string layerDir(const std::string& id) const;
    /// The parent layer ids of `id`, nearest first (its `parent` files). Throws as lowers().
    std::vector<std::string> chain(const std::string& id) const;
    /// The lower dirs of a shifted layer, relative to the overlay dir; makes missing copies.
    std::vector<std::string> shiftedLowers(const std::string& id, const std::string& mapText) const;
    std::string graphRoot_;
    bool userxattr_;
};

/// True when this process is not in the initial user namespace (/proc/self/uid_map is not
/// the identity map of all ids): overlay must then be mounted with `userxattr`.
bool inUserNamespace();

/// The opaque-directory xattr for a mount made by this process: user.overlay.opaque inside
/// a user namespace, trusted.overlay.opaque otherwise.
std::string opaqueXattrName(bool userxattr);

/// Extra options of an overlay mount.
struct OverlayFlags {
    bool userxattr = false;      ///< `userxattr` (mount in a user namespace)
    bool volatileUpper = false;  ///< `volatile` (Linux >= 5.10): no sync of the upper fs
    bool classicOnly = false;    ///< skip the new mount API (what a kernel < 6.8 gets; tests)
};

/// The classic overlay mount data "lowerdir=A:B,upperdir=U,workdir=W[,userxattr][,volatile]". Throws
/// InvalidArgument saying how many layers the image has when it exceeds one page (4095
/// bytes), the limit of mount(2)'s data.
std::string overlayMountData(const std::vector<std::string>& lowers, const std::string& upper,
                             const std::string& work, OverlayFlags flags);

/// Mounts overlay at `target`: lowers (nearest first), upper and work dirs, each absolute or
/// relative to `cwd`. Tries fsopen/fsconfig "lowerdir+" first, then mount(2) with the
/// classic options (relative paths keep them short) from a child in `cwd`.
/// Throws Error with the kernel's message on failure.
void mountOverlay(const std::vector<std::string>& lowers, const std::string& upper, const std::string& work,
                  const std::string& target, OverlayFlags flags, const std::string& cwd);

/// Checks that native overlay works under `graphRoot` for this process (a tiny mount with a
/// whiteout and an opaque dir, in a temp dir that is removed). Returns "" when it works,
/// else why not (for logs and errors).
std::string probeOverlay(const std::string& graphRoot);

}  // namespace hutch::storage
