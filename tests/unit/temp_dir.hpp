// SPDX-License-Identifier: GPL-2.0-or-later
// A directory for one test, removed with everything in it afterwards.
#ifndef KCTL_TEST_TEMP_DIR_HPP
#define KCTL_TEST_TEMP_DIR_HPP

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace kctl::test {

class temp_dir {
  public:
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "kctl-test-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

    /// Writes a file in place (same inode, so descriptors kept open see the new content).
    void write(const std::string& name, const std::string& content) const {
        const std::filesystem::path p(*this / name);
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    }
    std::string read(const std::string& name) const {
        std::ifstream in(*this / name, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    std::string path_;
};

}  // namespace kctl::test

#endif
