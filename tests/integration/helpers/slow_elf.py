#!/usr/bin/env python3
# slow_elf.py OUT TEXT_MB: a sparse x86-64 ELF whose scan is slow: a .rodata
# holding BoringSSL's ".../ssl/s3_pkt.cc" name (so the locator decodes the
# whole .text for error sites) and a .text of TEXT_MB MiB of zeros (a hole)
import struct, sys
out, mb = sys.argv[1], int(sys.argv[2])
rodata = b"\0x\0/src/ssl/s3_pkt.cc\0" + b"\0" * 8
shstr = b"\0.rodata\0.text\0.shstrtab\0"
ro_off, base = 0x1000, 0x400000
sh_off = 0x2000
text_off, text_len = 0x10000, mb << 20
def sh(name, typ, flags, addr, off, size):
    return struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off, size, 0, 0, 16, 0)
shdrs = sh(0, 0, 0, 0, 0, 0)
shdrs += sh(1, 1, 2, base + ro_off, ro_off, len(rodata))            # .rodata ALLOC
shdrs += sh(9, 1, 6, base + text_off, text_off, text_len)           # .text ALLOC|EXEC
shdrs += sh(15, 3, 0, 0, sh_off + 4 * 64, len(shstr))               # .shstrtab
eh = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, base + text_off, 0, sh_off, 0, 64, 56, 0, 64, 4, 3)
with open(out, "wb") as f:
    f.write(eh)
    f.seek(ro_off); f.write(rodata)
    f.seek(sh_off); f.write(shdrs); f.write(shstr)
    f.truncate(text_off + text_len)
