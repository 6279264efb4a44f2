// libarchive, loaded on first use (common/dynlib): commands that never read or write a tar
// (run, exec, ps, stop: the start-up path) do not map it and its xml2/ICU/compression stack.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace hutch::storage {

// Every libarchive function hutch calls, without its "archive_" prefix.
#define HUTCH_ARCHIVE_FUNCTIONS(X) \
    X(entry_atime) \
    X(entry_atime_is_set) \
    X(entry_atime_nsec) \
    X(entry_filetype) \
    X(entry_free) \
    X(entry_gid) \
    X(entry_hardlink) \
    X(entry_mtime) \
    X(entry_mtime_nsec) \
    X(entry_new) \
    X(entry_pathname) \
    X(entry_perm) \
    X(entry_rdevmajor) \
    X(entry_rdevminor) \
    X(entry_set_filetype) \
    X(entry_set_gid) \
    X(entry_set_hardlink) \
    X(entry_set_mtime) \
    X(entry_set_pathname) \
    X(entry_set_perm) \
    X(entry_set_rdevmajor) \
    X(entry_set_rdevminor) \
    X(entry_set_size) \
    X(entry_set_symlink) \
    X(entry_set_uid) \
    X(entry_size) \
    X(entry_size_is_set) \
    X(entry_symlink) \
    X(entry_uid) \
    X(entry_xattr_add_entry) \
    X(entry_xattr_next) \
    X(entry_xattr_reset) \
    X(error_string) \
    X(read_data) \
    X(read_data_block) \
    X(read_free) \
    X(read_new) \
    X(read_next_header) \
    X(read_open) \
    X(read_open_fd) \
    X(read_support_filter_all) \
    X(read_support_format_raw) \
    X(read_support_format_tar) \
    X(set_error) \
    X(write_close) \
    X(write_data) \
    X(write_free) \
    X(write_header) \
    X(write_new) \
    X(write_open) \
    X(write_open_fd) \
    X(write_set_bytes_in_last_block) \
    X(write_set_bytes_per_block) \
    X(write_set_format_option) \
    X(write_set_format_pax_restricted)

/// The libarchive functions hutch calls, resolved from libarchive.so.13: `arc().read_new()`
/// is archive_read_new().
struct ArchiveLib {
#define HUTCH_ARCHIVE_MEMBER(name) decltype(&::archive_##name) name;
    HUTCH_ARCHIVE_FUNCTIONS(HUTCH_ARCHIVE_MEMBER)
#undef HUTCH_ARCHIVE_MEMBER
};

/// The table, loaded on first call; thread-safe. Throws Error when libarchive.so.13 is missing
/// or lacks a symbol.
const ArchiveLib& arc();

}  // namespace hutch::storage
