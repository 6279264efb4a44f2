# Generates a .cpp holding the default seccomp profile (conf/seccomp.json) as a raw string.
# cmake -DIN=seccomp.json -DOUT=seccomp_profile.cpp -P seccomp_embed.cmake
file(READ ${IN} text)
file(WRITE ${OUT}.tmp "// Generated from ${IN} by seccomp_embed.cmake. Do not edit.\n"
  "#include <string>\nnamespace hutch::conf::detail {\n"
  "extern const char* const kDefaultSeccompProfile;\n"
  "const char* const kDefaultSeccompProfile = R\"hutchprofile(${text})hutchprofile\";\n}\n")
file(RENAME ${OUT}.tmp ${OUT})
