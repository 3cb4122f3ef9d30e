//===- ElfCheck.cpp - validate a shared object before dlopen --------------===//
#include "tern/Runtime/ElfCheck.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace tern::runtime {

static bool readAt(int fd, void *buf, size_t n, off_t at) {
  char *p = static_cast<char *>(buf);
  while (n) {
    ssize_t got = ::pread(fd, p, n, at);
    if (got <= 0)
      return false;
    p += got;
    n -= static_cast<size_t>(got);
    at += got;
  }
  return true;
}

bool checkSharedObject(const std::string &path, std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    return false;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  Elf64_Ehdr eh;
  if (size < sizeof(eh) || !readAt(fd, &eh, sizeof(eh), 0)) {
    error = path + ": not a shared library (" + std::to_string(size) +
            " bytes: shorter than an ELF header)";
    return false;
  }
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    error = path + ": not a shared library (no ELF magic)";
    return false;
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_type != ET_DYN) {
    error = path + ": not a 64-bit little-endian ELF shared library";
    return false;
  }
#if defined(__x86_64__)
  if (eh.e_machine != EM_X86_64) {
    error = path + ": ELF machine " + std::to_string(eh.e_machine) + " is not x86-64";
    return false;
  }
#elif defined(__aarch64__)
  if (eh.e_machine != EM_AARCH64) {
    error = path + ": ELF machine " + std::to_string(eh.e_machine) + " is not AArch64";
    return false;
  }
#endif
  auto truncated = [&](const std::string &what, uint64_t end) {
    error = path + ": truncated or corrupt shared library (" + what + " ends at byte " +
            std::to_string(end) + ", the file has " + std::to_string(size) + ")";
    return false;
  };
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM) {
    error = path + ": corrupt ELF header (program header table)";
    return false;
  }
  uint64_t phEnd = 0;
  if (__builtin_add_overflow(eh.e_phoff, uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr), &phEnd) ||
      phEnd > size)
    return truncated("the program header table", phEnd);
  if (eh.e_shnum && eh.e_shentsize == sizeof(Elf64_Shdr)) {
    uint64_t shEnd = 0;
    if (__builtin_add_overflow(eh.e_shoff, uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr), &shEnd) ||
        shEnd > size)
      return truncated("the section header table", shEnd);
  }
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (!readAt(fd, ph.data(), ph.size() * sizeof(Elf64_Phdr), static_cast<off_t>(eh.e_phoff))) {
    error = path + ": cannot read the program headers";
    return false;
  }
  bool loads = false;
  for (const Elf64_Phdr &p : ph) {
    if (p.p_type != PT_LOAD && p.p_type != PT_DYNAMIC && p.p_type != PT_INTERP &&
        p.p_type != PT_NOTE && p.p_type != PT_GNU_EH_FRAME)
      continue;
    uint64_t end = 0;
    if (__builtin_add_overflow(p.p_offset, p.p_filesz, &end) || end > size)
      return truncated("a segment", end);
    if (p.p_type == PT_LOAD) {
      loads = true;
      if (p.p_filesz > p.p_memsz) {
        error = path + ": corrupt ELF segment (file size above memory size)";
        return false;
      }
    }
  }
  if (!loads) {
    error = path + ": corrupt ELF shared library (no loadable segment)";
    return false;
  }
  return true;
}

} // namespace tern::runtime

extern "C" int tern_check_shared_object(const char *path, char *error, size_t error_size) {
  std::string message;
  if (tern::runtime::checkSharedObject(path ? path : "", message))
    return 0;
  if (error && error_size) {
    size_t n = std::min(message.size(), error_size - 1);
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
  }
  return 1;
}
