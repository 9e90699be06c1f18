#pragma once
// Chip profiles from configs: the [chip] section names a built-in profile or a profile
// TOML file (examples/chips/*.toml) and may override any of its fields.
#include <string>
#include <string_view>

#include "chaoschip/io/config.hpp"
#include "chaoschip/neuromorphic/profile.hpp"

namespace chaoschip::io {

// chip.profile names a profile file (ends in .toml or has a '/'), not a built-in profile.
bool is_profile_path(std::string_view profile);

// Reads a profile file: keys name, description, base (a built-in profile or another
// profile file, relative to this file's folder, to start from) and the profile fields
// (the same names as in [chip]). Unknown keys, wrong types and invalid values are
// parameter_errors naming the key and its line; an unreadable file is a file_error.
neuromorphic::chip_profile load_profile_file(const std::string& path);

// The profile a [chip] section describes: the named profile with the section's set
// fields applied, validated.
neuromorphic::chip_profile resolve_profile(const chip_config& chip);

// Resolves the profile and writes every field back into `chip` (what to_toml prints).
void resolve_chip(chip_config& chip);

}  // namespace chaoschip::io
