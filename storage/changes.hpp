// A layer's changes as `diff` lists them (podman's "A /path", "C /path", "D /path"): the
// layer's changeset (layer_tar.hpp) classified against the layers below it, with
// containers/storage's rules:
//  - a whiteout is a deletion; so is an opaque directory that hides one the layers below have;
//  - anything else is an addition, or a change when the layers below have the path; a
//    directory they have with the same size, mode and mtime is no change (it is only there
//    because something below it changed);
//  - an addition or deletion lists the directories above it that were not listed yet as
//    changed, right before it.
// Order: the changeset's (depth first, names in byte order).
#pragma once

#include <sys/stat.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hutch/storage/layer_tar.hpp"

namespace hutch::storage {

enum class ChangeKind { Modify, Add, Delete };

struct Change {
    ChangeKind kind = ChangeKind::Modify;
    std::string path;  ///< "/etc/passwd"
};

/// 'C', 'A' or 'D', as podman prints a change.
char changeLetter(ChangeKind k);

/// What the layers below show at an absolute path: its lstat, or nullopt when absent there.
using LowerView = std::function<std::optional<struct stat>(const std::string& path)>;

/// The changes of `entries` (overlayChangeset/treeChangeset) against `lower` (see the file
/// comment). Entries below an opaque directory of the changeset are not looked up in `lower`.
std::vector<Change> classifyChanges(const std::vector<ChangesetEntry>& entries, const LowerView& lower);

/// The view through overlay layer directories (their diff/ dirs, nearest first): a path is
/// absent when a nearer layer has a whiteout for it or one of its directories, has a
/// non-directory at one of its directories, or has one of them opaque. Throws SysError for
/// lstat errors other than absence.
LowerView overlayLowerView(std::vector<std::string> lowerDirs);

/// The view of one full tree (vfs: the parent layer's directory; "" = nothing below).
LowerView treeLowerView(std::string dir);

}  // namespace hutch::storage
