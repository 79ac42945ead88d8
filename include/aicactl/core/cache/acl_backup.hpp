// SPDX-License-Identifier: Apache-2.0
// ACL backups in the text format of `getfacl -R` (so `setfacl --restore` reads them too) and
// their safe restore: every path is resolved below a base directory component by component
// without following a symlink (nor entering a mount whose parent others can write), and
// changed relative to the directory fd that holds it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/os/acl.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {

// getfacl's escaping: every character of `specials` becomes \ooo (octal), a backslash "\\"
// (as getfacl 2.3.1 writes it; later releases write \134).
[[nodiscard]] std::string acl_quote(std::string_view text, std::string_view specials);
// The inverse, for both spellings: \ooo becomes its byte, "\\" one backslash; any other
// backslash stays.
[[nodiscard]] std::string acl_unquote(std::string_view text);

// The entry lines of `acl` as getfacl writes them to a file or pipe: "user:alice:rwx", one per
// line, each prefixed with `prefix` ("default:" for a default ACL), named entries by name
// (by number when the id has no name), and "\t#effective:r-x" where the mask takes rights away.
[[nodiscard]] std::string format_acl_entries(const os::Acl& acl, std::string_view prefix);

// One file's block: "# file: <path>" (leading '/' removed), "# owner:", "# group:", "# flags:"
// when a setuid/setgid/sticky bit is set, the access ACL, the default ACL, an empty line.
[[nodiscard]] std::string format_acl_record(std::string_view path, const os::FileInfo& info, const os::Acl& access,
                                            const std::optional<os::Acl>& default_acl);

struct AclBackup {
  std::string text;                      // what `getfacl -R ROOT...` prints for the same trees
  std::uint64_t entries = 0;             // files and directories written
  std::vector<std::string> notes;        // mounts not entered
  std::vector<std::string> errors;       // entries that could not be read (left out of `text`)
  os::WalkProgress* progress = nullptr;  // while backing up: counted into when set
};

// Walks each absolute root in getfacl's order (the root, then each directory entry in readdir
// order, a directory's content right after it), skipping symlinks below the root and never
// entering another mount. A root that is a symlink or missing is an error, not a stop.
// `progress` (a terminal's display) is counted into when set.
[[nodiscard]] AclBackup backup_acls(const std::vector<std::string>& roots, os::WalkProgress* progress = nullptr);

// One block of a backup, parsed and resolved.
struct AclRestoreEntry {
  std::string path;          // relative to the base directory, as written (unescaped); "." = the base
  std::optional<uid_t> uid;  // nullopt: no "# owner:" line or a name that does not resolve
  std::optional<gid_t> gid;
  std::string owner;  // as written, for messages
  std::string group;
  mode_t flags = 0;                    // S_ISUID | S_ISGID | S_ISVTX
  std::optional<os::Acl> access;       // nullopt: no access entries (the mode is kept)
  std::optional<os::Acl> default_acl;  // nullopt: the default ACL is removed
  unsigned line = 0;                   // of its "# file:" line
};

// Parses a whole backup (getfacl's format: comments, entries, "#effective:" comments, \ooo
// escapes, names or numeric ids). Throws Error(bad_data) naming `origin` and the line for any
// malformed line, an entry name that does not resolve, an absolute path or a '..' component:
// nothing is applied before the whole file has been read.
[[nodiscard]] std::vector<AclRestoreEntry> parse_acl_backup(std::string_view text, std::string_view origin);

// Applies each entry below `base` as `setfacl --restore` does when run by root: the access
// ACL, the default ACL (directories only), the owner and group, then the setuid/setgid/sticky
// bits. Entries already right are left alone (reported ok). A path through a symlink or an
// untrusted mount, a missing file, a default ACL on a non-directory, a setuid/setgid bit on a
// non-directory, and a hardlinked file owned by someone else are skipped and reported failed.
[[nodiscard]] Report restore_acls(const std::vector<AclRestoreEntry>& entries, std::string_view base, DryRun dry_run,
                                  os::WalkProgress* progress = nullptr);

}  // namespace aicactl::core
