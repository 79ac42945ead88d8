// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/walk.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::ChildOutcome;
using test::Fd;
using test::make_dir;
using test::make_symlink;
using test::run_in_child;
using test::TempDir;
using test::write_text;

// What the visitor saw for one entry, checked after the walk (the visitor may run on several
// threads, so it only records).
struct Visit {
  std::string rel;  // path relative to the root, "." for the root itself
  std::string dir_path;
  std::string name;
  mode_t mode = 0;
  unsigned depth = 0;
  std::uint64_t nlink = 0;
  std::uint64_t ino = 0;
  int fd = -1;
  bool fd_ok = false;     // dirs: fstat(fd) is this directory; others: fd == -1
  bool dirfd_ok = false;  // fstatat(dirfd, name) is this entry
  unsigned worker = 0;
  std::size_t order = 0;
};

class Recorder {
 public:
  explicit Recorder(std::string root) : root_(std::move(root)) {}

  WalkVisitor visitor() {
    return [this](const WalkEntry& e) { record(e); };
  }
  [[nodiscard]] const std::vector<Visit>& visits() const { return visits_; }

  [[nodiscard]] std::vector<std::string> rels() const {
    std::vector<std::string> out;
    out.reserve(visits_.size());
    for (const auto& v : visits_) {
      out.push_back(v.rel);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  [[nodiscard]] const Visit* find(const std::string& rel) const {
    for (const auto& v : visits_) {
      if (v.rel == rel) {
        return &v;
      }
    }
    return nullptr;
  }

 private:
  void record(const WalkEntry& e) {
    Visit v;
    const std::string full = e.path();
    if (full == root_) {
      v.rel = ".";
    } else if (full.starts_with(root_ + "/")) {
      v.rel = full.substr(root_.size() + 1);
    } else {
      v.rel = "OUTSIDE THE ROOT: " + full;
    }
    v.dir_path = *e.dir_path;
    v.name = e.name;
    v.mode = e.info->mode;
    v.depth = e.depth;
    v.nlink = e.info->nlink;
    v.ino = e.info->ino;
    v.fd = e.fd;
    v.worker = e.worker;
    struct stat st {};
    if (S_ISDIR(e.info->mode)) {
      v.fd_ok = e.fd >= 0 && ::fstat(e.fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == e.info->ino;
    } else {
      v.fd_ok = e.fd == -1;
    }
    if (e.dirfd == -1) {
      v.dirfd_ok = S_ISDIR(e.info->mode);  // a directory re-opened from the root comes with `fd` only
    } else {
      v.dirfd_ok = ::fstatat(e.dirfd, e.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == e.info->ino;
    }
    std::lock_guard lock(mutex_);
    v.order = visits_.size();
    visits_.push_back(std::move(v));
  }

  std::string root_;
  std::mutex mutex_;
  std::vector<Visit> visits_;
};

Result<WalkSummary> walk(const std::string& root, unsigned threads, Recorder& rec) {
  return walk_tree(root, WalkOptions{threads}, rec.visitor());
}

std::string parent_rel(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? "." : rel.substr(0, slash);
}

bool has_duplicates(std::vector<std::string> sorted) {
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

std::string repeat_dirs(unsigned levels) {
  std::string out;
  for (unsigned i = 0; i < levels; ++i) {
    out += (i == 0 ? "d" : "/d");
  }
  return out;
}

// A tree of a few thousand entries, some of them in one directory too wide for one getdents
// buffer. Returns the relative paths; `dirs` counts the directories, the root included.
struct BuiltTree {
  std::set<std::string> rels;
  std::uint64_t dirs = 0;
  std::uint64_t others = 0;
};

BuiltTree build_tree(const std::string& root) {
  BuiltTree tree;
  make_dir(root);
  tree.rels.insert(".");
  tree.dirs = 1;
  auto add_dir = [&](const std::string& rel) {
    make_dir(root + "/" + rel);
    tree.rels.insert(rel);
    ++tree.dirs;
  };
  auto add_file = [&](const std::string& rel) {
    write_text(root + "/" + rel, "");
    tree.rels.insert(rel);
    ++tree.others;
  };
  for (int a = 0; a < 12; ++a) {
    const std::string da = "dir" + std::to_string(a);
    add_dir(da);
    for (int b = 0; b < 8; ++b) {
      const std::string db = da + "/sub" + std::to_string(b);
      add_dir(db);
      for (int f = 0; f < 25; ++f) {
        add_file(db + "/file" + std::to_string(f));
      }
    }
  }
  add_dir("wide");
  for (int i = 0; i < 1500; ++i) {
    add_file("wide/a-rather-long-file-name-to-fill-getdents-buffers-" + std::to_string(i));
  }
  add_dir("empty");
  return tree;
}

class WalkThreads : public ::testing::TestWithParam<unsigned> {};

TEST_P(WalkThreads, VisitsEveryEntryExactlyOnce) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  const BuiltTree tree = build_tree(root);
  ASSERT_GT(tree.rels.size(), 3000U);

  Recorder rec(root);
  auto summary = walk(root, GetParam(), rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  const auto rels = rec.rels();
  EXPECT_FALSE(has_duplicates(rels)) << "an entry was visited twice";
  EXPECT_EQ(std::set<std::string>(rels.begin(), rels.end()), tree.rels);
  EXPECT_EQ(rels.size(), tree.rels.size());
  EXPECT_EQ(summary->directories, tree.dirs);
  EXPECT_EQ(summary->others, tree.others);
  EXPECT_TRUE(summary->errors.empty()) << summary->errors.front().message();
  EXPECT_TRUE(summary->mounts_skipped.empty());
  const unsigned threads = std::max(GetParam(), 1U);
  for (const auto& v : rec.visits()) {
    EXPECT_LT(v.worker, threads) << v.rel;
  }
}

TEST_P(WalkThreads, VisitsRootFirstAndEveryDirectoryBeforeItsChildren) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  build_tree(root);
  Recorder rec(root);
  auto summary = walk(root, GetParam(), rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  std::map<std::string, std::size_t> order;
  for (const auto& v : rec.visits()) {
    order[v.rel] = v.order;
  }
  ASSERT_EQ(order.count("."), 1U);
  EXPECT_EQ(order["."], 0U);
  for (const auto& v : rec.visits()) {
    if (v.rel == ".") {
      continue;
    }
    const auto parent = order.find(parent_rel(v.rel));
    ASSERT_NE(parent, order.end()) << v.rel;
    EXPECT_LT(parent->second, v.order) << v.rel << " was visited before its directory";
  }
}

TEST_P(WalkThreads, ReportsDepthPathsAndUsableFds) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  build_tree(root);
  make_dir(root + "/a");
  make_dir(root + "/a/b");
  write_text(root + "/a/b/c.txt", "c");
  Recorder rec(root);
  auto summary = walk(root, GetParam(), rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();

  for (const auto& v : rec.visits()) {
    const auto slashes = static_cast<unsigned>(std::count(v.rel.begin(), v.rel.end(), '/'));
    EXPECT_EQ(v.depth, v.rel == "." ? 0U : slashes + 1U) << v.rel;
    EXPECT_TRUE(v.fd_ok) << v.rel << ": fd " << v.fd << " is not the entry's own directory fd (or -1)";
    EXPECT_TRUE(v.dirfd_ok) << v.rel << ": dirfd/name do not name the entry";
    EXPECT_FALSE(v.rel.starts_with("OUTSIDE")) << v.rel;
  }
  const Visit* top = rec.find(".");
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->dir_path, tmp.path());
  EXPECT_EQ(top->name, "tree");
  EXPECT_TRUE(S_ISDIR(top->mode));

  const Visit* b = rec.find("a/b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dir_path, root + "/a");
  EXPECT_EQ(b->name, "b");
  EXPECT_EQ(b->depth, 2U);
  EXPECT_GE(b->fd, 0);

  const Visit* c = rec.find("a/b/c.txt");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->dir_path, root + "/a/b");
  EXPECT_EQ(c->name, "c.txt");
  EXPECT_EQ(c->depth, 3U);
  EXPECT_EQ(c->fd, -1);
  EXPECT_TRUE(S_ISREG(c->mode));
}

TEST_P(WalkThreads, NeverFollowsSymlinks) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  make_dir(root);
  make_dir(root + "/in");
  write_text(root + "/in/file", "x");
  make_dir(tmp.sub("outside"));
  make_dir(tmp.sub("outside/subdir"));
  write_text(tmp.sub("outside/secret"), "s");
  write_text(tmp.sub("outside/subdir/secret2"), "s");
  make_symlink(tmp.sub("outside"), root + "/to_outside");
  make_symlink("../..", root + "/in/up");
  make_symlink("/", root + "/to_slash");
  make_symlink("missing", root + "/dangling");

  Recorder rec(root);
  auto summary = walk(root, GetParam(), rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  EXPECT_EQ(rec.rels(),
            (std::vector<std::string>{".", "dangling", "in", "in/file", "in/up", "to_outside", "to_slash"}));
  for (const char* link : {"to_outside", "in/up", "to_slash", "dangling"}) {
    const Visit* v = rec.find(link);
    ASSERT_NE(v, nullptr) << link;
    EXPECT_TRUE(S_ISLNK(v->mode)) << link << " should be seen as a symlink, not its target";
    EXPECT_EQ(v->fd, -1) << link;
  }
  EXPECT_EQ(summary->directories, 2U);
  EXPECT_EQ(summary->others, 5U);
  EXPECT_TRUE(summary->errors.empty());
}

TEST_P(WalkThreads, VisitsBothNamesOfAHardLink) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  make_dir(root);
  make_dir(root + "/a");
  make_dir(root + "/b");
  write_text(root + "/a/file", "data");
  ASSERT_EQ(::link((root + "/a/file").c_str(), (root + "/b/hard").c_str()), 0);

  Recorder rec(root);
  auto summary = walk(root, GetParam(), rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  const Visit* first = rec.find("a/file");
  const Visit* second = rec.find("b/hard");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->nlink, 2U);
  EXPECT_EQ(second->nlink, 2U);
  EXPECT_EQ(first->ino, second->ino);
  EXPECT_EQ(summary->others, 2U);
}

TEST_P(WalkThreads, VisitsSpecialFilesAsOthersWithoutOpeningThem) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  make_dir(root);
  // Opening a fifo for reading would block the walk: this test hangs (and times out) if the
  // walker ever opens a non-directory.
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0644), 0);
  const Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(sock.get(), 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = root + "/sock";
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::copy(sock_path.begin(), sock_path.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  std::uint64_t expected_others = 2;
  const bool as_root = ::geteuid() == 0;
  if (as_root) {
    ASSERT_EQ(::mknod((root + "/null").c_str(), S_IFCHR | 0600, ::makedev(1, 3)), 0);
    ++expected_others;
  }

  Recorder rec(root);
  auto summary = walk(root, GetParam(), rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  const Visit* fifo = rec.find("fifo");
  const Visit* socket = rec.find("sock");
  ASSERT_NE(fifo, nullptr);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(S_ISFIFO(fifo->mode));
  EXPECT_TRUE(S_ISSOCK(socket->mode));
  EXPECT_EQ(fifo->fd, -1);
  EXPECT_EQ(socket->fd, -1);
  if (as_root) {
    const Visit* dev = rec.find("null");
    ASSERT_NE(dev, nullptr);
    EXPECT_TRUE(S_ISCHR(dev->mode));
  }
  EXPECT_EQ(summary->directories, 1U);
  EXPECT_EQ(summary->others, expected_others);
}

// Removes every entry of a directory while the walker is between listing it and visiting the
// rest of its entries: the vanished entries (files and subdirectories) must not be errors.
TEST_P(WalkThreads, IgnoresEntriesRemovedDuringTheWalk) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  make_dir(root);
  make_dir(root + "/victim");
  make_dir(root + "/keep");
  std::set<std::string> kept{".", "keep", "victim"};
  for (int i = 0; i < 200; ++i) {
    write_text(root + "/victim/f" + std::to_string(i), "");
  }
  for (int i = 0; i < 20; ++i) {
    const std::string sub = root + "/victim/sub" + std::to_string(i);
    make_dir(sub);
    write_text(sub + "/inner", "");
  }
  for (int i = 0; i < 50; ++i) {
    const std::string rel = "keep/f" + std::to_string(i);
    write_text(tmp.sub("tree/" + rel), "");
    kept.insert(rel);
  }

  std::atomic<bool> removed{false};
  std::atomic<int> removal_errors{0};
  Recorder rec(root);
  const std::string victim = root + "/victim";
  auto summary = walk_tree(root, WalkOptions{GetParam()}, [&](const WalkEntry& e) {
    if (e.fd == -1 && *e.dir_path == victim && !removed.exchange(true)) {
      try {
        test::empty_dir_at(e.dirfd);
      } catch (const std::exception&) {
        ++removal_errors;
      }
    }
    rec.visitor()(e);
  });
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  ASSERT_TRUE(removed.load());
  EXPECT_EQ(removal_errors.load(), 0);
  EXPECT_TRUE(summary->errors.empty()) << summary->errors.front().message();
  std::vector<std::string> under_victim;
  std::set<std::string> seen_kept;
  for (const auto& rel : rec.rels()) {
    if (rel.starts_with("victim/")) {
      under_victim.push_back(rel);
    } else {
      seen_kept.insert(rel);
    }
  }
  EXPECT_EQ(under_victim.size(), 1U) << "only the entry that triggered the removal exists: " << joined(under_victim);
  EXPECT_EQ(seen_kept, kept);
}

// A chain of 3000 directories: deeper than PATH_MAX, far deeper than a walker that recursed on
// the C++ stack or held one fd per level could go under tight limits.
constexpr unsigned kDeep = 3000;

void make_chain(const std::string& root, unsigned depth) {
  make_dir(root);
  Fd fd(test::open_dir_nofollow(AT_FDCWD, root));
  for (unsigned i = 0; i < depth; ++i) {
    if (::mkdirat(fd.get(), "d", 0755) != 0) {
      test::throw_errno("mkdirat d");
    }
    fd.reset(test::open_dir_nofollow(fd.get(), "d"));
  }
  const Fd leaf(::openat(fd.get(), "leaf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (leaf.get() < 0) {
    test::throw_errno("create leaf");
  }
}

// Checks a walk of make_chain(root, kDeep); returns "" or what is wrong (usable in a child).
std::string check_chain_walk(const std::string& root, unsigned threads) {
  Recorder rec(root);
  auto summary = walk(root, threads, rec);
  if (!summary) {
    return "walk failed: " + summary.error().message();
  }
  std::string problems;
  if (!summary->errors.empty()) {
    problems += std::to_string(summary->errors.size()) + " errors, first: " + summary->errors.front().message() + "\n";
  }
  if (summary->directories != kDeep + 1 || summary->others != 1) {
    problems += "counted " + std::to_string(summary->directories) + " dirs and " + std::to_string(summary->others) +
                " others\n";
  }
  unsigned max_dir_depth = 0;
  bool leaf_ok = false;
  const std::string leaf_rel = repeat_dirs(kDeep) + "/leaf";
  for (const auto& v : rec.visits()) {
    if (S_ISDIR(v.mode)) {
      max_dir_depth = std::max(max_dir_depth, v.depth);
    } else {
      leaf_ok = v.rel == leaf_rel && v.depth == kDeep + 1 && v.name == "leaf";
    }
  }
  if (max_dir_depth != kDeep) {
    problems += "deepest directory at depth " + std::to_string(max_dir_depth) + "\n";
  }
  if (!leaf_ok) {
    problems += "the leaf file was not visited with its full path and depth\n";
  }
  return problems;
}

TEST_P(WalkThreads, WalksAChainDeeperThanPathMax) {
  TempDir tmp;
  const std::string root = tmp.sub("deep");
  make_chain(root, kDeep);
  EXPECT_EQ(check_chain_walk(root, GetParam()), "");
}

TEST_P(WalkThreads, WalksADeepChainWithSixtyFourFds) {
  TempDir tmp;
  const std::string root = tmp.sub("deep");
  make_chain(root, kDeep);
  const unsigned threads = GetParam();
  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    const rlimit limit{64, 64};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return "setrlimit: " + test::errno_text(errno);
    }
    return check_chain_walk(root, threads);
  });
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

// Every level of a 200-deep tree also has three leaf directories and files, so siblings wait
// on every level while the walk goes down: open fds must not grow with the depth.
TEST_P(WalkThreads, WalksAWideAndDeepTreeWithSixtyFourFds) {
  TempDir tmp;
  const std::string root = tmp.sub("widedeep");
  constexpr unsigned kLevels = 200;
  make_dir(root);
  std::string level = root;
  std::uint64_t dirs = 1;
  std::uint64_t files = 0;
  for (unsigned i = 0; i <= kLevels; ++i) {
    write_text(level + "/file", "");
    ++files;
    if (i == kLevels) {
      break;
    }
    for (int leaf = 0; leaf < 3; ++leaf) {
      const std::string leaf_dir = level + "/leaf" + std::to_string(leaf);
      make_dir(leaf_dir);
      write_text(leaf_dir + "/f", "");
      ++dirs;
      ++files;
    }
    level += "/next";
    make_dir(level);
    ++dirs;
  }
  const unsigned threads = GetParam();
  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    const rlimit limit{64, 64};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return "setrlimit: " + test::errno_text(errno);
    }
    Recorder rec(root);
    auto summary = walk(root, threads, rec);
    if (!summary) {
      return "walk failed: " + summary.error().message();
    }
    std::string problems;
    if (!summary->errors.empty()) {
      problems +=
          std::to_string(summary->errors.size()) + " errors, first: " + summary->errors.front().message() + "\n";
    }
    if (summary->directories != dirs || summary->others != files) {
      problems += "counted " + std::to_string(summary->directories) + "/" + std::to_string(dirs) + " dirs and " +
                  std::to_string(summary->others) + "/" + std::to_string(files) + " files\n";
    }
    for (const auto& v : rec.visits()) {
      if (!v.fd_ok || !v.dirfd_ok) {
        problems += v.rel + ": the entry's fds do not lead to it\n";
        break;
      }
    }
    return problems;
  });
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

INSTANTIATE_TEST_SUITE_P(Threads, WalkThreads, ::testing::Values(1U, 2U),
                         [](const ::testing::TestParamInfo<unsigned>& param_info) {
                           return std::to_string(param_info.param) + "_threads";
                         });

struct SmallStackJob {
  std::string root;
  std::string result;
};

// The walker (one thread: it runs on the caller's stack) must not recurse per level, nor free
// per-level state recursively: 3000 levels on a 256 KiB stack would overflow and kill the child.
// BUG (src/os/walk.cpp, struct DirNode): the default destructor of the DirNode chain
// (shared_ptr<const DirNode> parent) frees one level per nested call, so the walk of a deep tree
// ends in a SIGSEGV here (a Debug build also crashes on a 150000-level chain with an 8 MiB stack).
TEST(WalkTree, WalksADeepChainOnASmallStack) {
  TempDir tmp;
  const std::string root = tmp.sub("deep");
  make_chain(root, kDeep);
  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    SmallStackJob job{root, {}};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, std::size_t{256} * 1024);
    pthread_t thread{};
    const int rc = pthread_create(
        &thread, &attr,
        [](void* arg) -> void* {
          auto* j = static_cast<SmallStackJob*>(arg);
          j->result = check_chain_walk(j->root, 1);
          return nullptr;
        },
        &job);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      return "pthread_create: " + test::errno_text(rc);
    }
    pthread_join(thread, nullptr);
    return job.result;
  });
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

TEST(WalkTree, ZeroThreadsMeansOne) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  const BuiltTree tree = build_tree(root);
  Recorder rec(root);
  auto summary = walk(root, 0, rec);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  EXPECT_EQ(rec.visits().size(), tree.rels.size());
  for (const auto& v : rec.visits()) {
    EXPECT_EQ(v.worker, 0U);
  }
}

TEST(WalkTree, RootThatIsASymlinkFailsWithEloop) {
  TempDir tmp;
  make_dir(tmp.sub("real"));
  write_text(tmp.sub("real/file"), "");
  make_symlink(tmp.sub("real"), tmp.sub("link"));
  make_symlink("real", tmp.sub("relative_link"));
  bool visited = false;
  for (const char* name : {"link", "relative_link"}) {
    auto summary = walk_tree(tmp.sub(name), WalkOptions{}, [&](const WalkEntry&) { visited = true; });
    ASSERT_FALSE(summary.has_value()) << name;
    EXPECT_EQ(summary.error().code, ELOOP) << name << ": " << summary.error().message();
  }
  EXPECT_FALSE(visited);
}

// The errno here is open_dir's (see OpenDir.ReportsASymlinkComponentAsEloop); the refusal is
// what matters for the walk.
TEST(WalkTree, RootBelowASymlinkIsRefused) {
  TempDir tmp;
  make_dir(tmp.sub("real"));
  make_dir(tmp.sub("real/sub"));
  make_symlink(tmp.sub("real"), tmp.sub("link"));
  bool visited = false;
  auto summary = walk_tree(tmp.sub("link/sub"), WalkOptions{}, [&](const WalkEntry&) { visited = true; });
  ASSERT_FALSE(summary.has_value());
  EXPECT_TRUE(summary.error().code == ELOOP || summary.error().code == ENOTDIR) << summary.error().message();
  EXPECT_FALSE(visited);
}

TEST(WalkTree, RootThatIsNotADirectoryFails) {
  TempDir tmp;
  write_text(tmp.sub("file"), "");
  const WalkVisitor ignore = [](const WalkEntry&) {};
  auto file = walk_tree(tmp.sub("file"), WalkOptions{}, ignore);
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code, ENOTDIR);
  auto missing = walk_tree(tmp.sub("missing"), WalkOptions{}, ignore);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_FALSE(walk_tree("relative/root", WalkOptions{}, ignore).has_value());
}

// Regression: the root's parent path was once cut from the raw root string, so a trailing slash
// made every reported path wrong ("/x/tree/tree/...").
TEST(WalkTree, RootWithTrailingSlashReportsTheSamePaths) {
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  make_dir(root);
  make_dir(root + "/sub");
  write_text(root + "/sub/file", "");
  Recorder rec(root);
  auto summary = walk_tree(root + "/", WalkOptions{1}, rec.visitor());
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  EXPECT_EQ(rec.rels(), (std::vector<std::string>{".", "sub", "sub/file"}));
  const Visit* top = rec.find(".");
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->dir_path, tmp.path());
}

// Mounts a tmpfs, a bind-mounted directory and a bind-mounted file (same file system, other
// mount) inside the tree, in a private mount namespace of a child process so that nothing leaks
// to the host.
TEST(WalkTree, DoesNotCrossMountPoints) {
  AICACTL_REQUIRE_ROOT();
  TempDir tmp;
  const std::string root = tmp.sub("tree");
  make_dir(root);
  make_dir(root + "/tmpfs");
  make_dir(root + "/bind");
  make_dir(root + "/plain");
  write_text(root + "/plain/file", "");
  make_dir(tmp.sub("elsewhere"));
  write_text(tmp.sub("elsewhere/bound-file"), "");

  write_text(root + "/plain/file-mount", "");
  write_text(tmp.sub("elsewhere-file"), "");

  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    if (auto skip = test::private_mounts(
            {root + "/tmpfs",
             {{tmp.sub("elsewhere"), root + "/bind"}, {tmp.sub("elsewhere-file"), root + "/plain/file-mount"}}});
        !skip.empty()) {
      return skip;
    }
    write_text(root + "/tmpfs/inside", "");
    std::string problems;
    for (const unsigned threads : {1U, 2U}) {
      Recorder rec(root);
      auto summary = walk(root, threads, rec);
      if (!summary) {
        problems += "walk failed: " + summary.error().message() + "\n";
        continue;
      }
      auto skipped = summary->mounts_skipped;
      std::sort(skipped.begin(), skipped.end());
      if (skipped != std::vector<std::string>{root + "/bind", root + "/plain/file-mount", root + "/tmpfs"}) {
        problems += "mounts_skipped = [" + joined(skipped) + "]\n";
      }
      for (const auto& rel : rec.rels()) {
        if (rel.starts_with("tmpfs/") || rel.starts_with("bind/") || rel == "plain/file-mount") {
          problems += "visited " + rel + " on another mount\n";
        }
      }
      if (rec.find("plain/file") == nullptr) {
        problems += "plain/file was not visited\n";
      }
      if (!summary->errors.empty()) {
        problems += "error: " + summary->errors.front().message() + "\n";
      }
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

// On overlayfs with its layers on two file systems, a file's st_dev is its layer's, not the
// overlay's: the walker must still visit every file and report no mount point.
TEST(WalkTree, VisitsEveryFileOnOverlayfs) {
  AICACTL_REQUIRE_ROOT();
  TempDir tmp;
  make_dir(tmp.sub("lower"));
  make_dir(tmp.sub("lower/sub"));
  write_text(tmp.sub("lower/a"), "a");
  write_text(tmp.sub("lower/sub/b"), "b");
  make_dir(tmp.sub("upperfs"));
  const std::string merged = tmp.sub("merged");
  make_dir(merged);

  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    if (auto skip = test::private_mounts({tmp.sub("upperfs"), {}}); !skip.empty()) {
      return skip;
    }
    make_dir(tmp.sub("upperfs/upper"));
    make_dir(tmp.sub("upperfs/work"));
    const std::string opts = "lowerdir=" + tmp.sub("lower") + ",upperdir=" + tmp.sub("upperfs/upper") +
                             ",workdir=" + tmp.sub("upperfs/work");
    if (::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) {
      return std::string(test::kSkipPrefix) + "mounting an overlay failed: " + test::errno_text(errno);
    }
    write_text(merged + "/sub/c", "c");  // lands in the upper layer (a tmpfs)
    std::string problems;
    for (const unsigned threads : {1U, 2U}) {
      Recorder rec(merged);
      auto summary = walk(merged, threads, rec);
      if (!summary) {
        problems += "walk failed: " + summary.error().message() + "\n";
        continue;
      }
      if (!summary->mounts_skipped.empty()) {
        problems += "mounts_skipped = [" + joined(summary->mounts_skipped) + "]\n";
      }
      for (const char* rel : {"a", "sub", "sub/b", "sub/c"}) {
        if (rec.find(rel) == nullptr) {
          problems += std::string(rel) + " was not visited\n";
        }
      }
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

}  // namespace
}  // namespace aicactl::os
