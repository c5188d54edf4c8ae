// `h5io run` as a user meets it: the real binary, real files, real libraries.
// Every bad input must end with a message naming the culprit, a non-zero exit
// status, and no file under the output name.
#include "common/synthetic/example_scan.hpp"

#include "fixtures.hpp"
#include "scratch_dir.hpp"
#include "subprocess.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace h5io;
using test::CommandResult;

namespace {

class RunErrors : public ::testing::Test {
protected:
  void SetUp() override {
    unsetenv("H5IO_PLUGIN_PATH"); // only the directories the tests name
    write_example_scan(dir / "scan.h5", ExampleScanShape{24, 32, 16, 8, 16});
  }

  std::vector<std::string> command(std::vector<std::string> args) const {
    std::vector<std::string> argv = {H5IO_BIN, "run", "--plugin-dir", H5IO_TEST_PLUGIN_DIR};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  CommandResult h5io(std::vector<std::string> args) const {
    return test::run_command(command(std::move(args)));
  }
  // As user nobody, for permission errors (root may read and write anything).
  // The binary is copied into the scratch directory first: the build tree may
  // sit where nobody cannot reach it (e.g. under /root).
  CommandResult h5io_unprivileged(std::vector<std::string> args) const {
    fs::copy_file(H5IO_BIN, dir / "h5io", fs::copy_options::overwrite_existing);
    std::vector<std::string> argv = command(std::move(args));
    argv[0] = (dir / "h5io").string();
    return test::run_command(test::as_unprivileged(argv));
  }
  CommandResult mpirun(int ranks, std::vector<std::string> args) const {
    std::vector<std::string> argv = test::mpiexec_command(ranks);
    const auto rest = command(std::move(args));
    argv.insert(argv.end(), rest.begin(), rest.end());
    return test::run_command(argv);
  }

  // The standard job on the example scan, with extra arguments.
  std::vector<std::string> job(const std::string& plugin, std::vector<std::string> extra = {},
                               const std::string& input = "scan.h5",
                               const std::string& output = "out.h5") const {
    std::vector<std::string> args = {
        "--plugin", plugin, "--input", (dir / input).string(), "--output", (dir / output).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  void expect_rejected(const CommandResult& result, const std::string& message,
                       const std::string& output = "out.h5") {
    EXPECT_FALSE(result.timed_out) << "h5io hung";
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find(message), std::string::npos)
        << "expected: " << message << "\nstderr was: " << result.err;
    EXPECT_FALSE(fs::exists(dir / output)) << "a file was left under the output name";
    EXPECT_FALSE(fs::exists(dir / (output + ".partial"))) << "a temporary file was left behind";
  }

  test::ScratchDir dir;
};

} // namespace

TEST_F(RunErrors, Succeeds) {
  const CommandResult result = h5io(job("benchmark"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("32 slices"), std::string::npos) << result.out;
  EXPECT_TRUE(fs::exists(dir / "out.h5"));
  EXPECT_FALSE(fs::exists(dir / "out.h5.partial"));
}

// Beamline files link to the detector's own file: the data is read through
// the link (and its chunks prefetched from the file that holds them).
TEST_F(RunErrors, ReadsThroughAnExternalLink) {
  {
    auto file = test::create_file(dir / "entry.nxs");
    hdf5::PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    ASSERT_GE(H5Lcreate_external("scan.h5", kExampleScanDataset, file.get(), "/entry1/data/data",
                                 lcpl.get(), H5P_DEFAULT),
              0);
  }
  ASSERT_EQ(
      h5io(job("benchmark", {"--param", "dataset=/entry1/data/data"}, "entry.nxs", "linked.h5"))
          .exit_code,
      0);
  ASSERT_EQ(h5io(job("benchmark", {}, "scan.h5", "direct.h5")).exit_code, 0);
  const auto checksums = [&](const std::string& name) {
    hdf5::File file(H5Fopen((dir / name).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    hdf5::Dataset dataset(H5Dopen2(file.get(), "/benchmark/checksum", H5P_DEFAULT));
    std::vector<uint64_t> values(32);
    H5Dread(dataset.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    return values;
  };
  EXPECT_EQ(checksums("linked.h5"), checksums("direct.h5"));
  EXPECT_NE(checksums("direct.h5"), std::vector<uint64_t>(32, 0));
}

TEST_F(RunErrors, MissingInput) {
  expect_rejected(h5io(job("benchmark", {}, "absent.h5")),
                  "h5io: error: input file '" + (dir / "absent.h5").string() + "' does not exist");
}

TEST_F(RunErrors, InputIsADirectory) {
  fs::create_directory(dir / "scans");
  expect_rejected(h5io(job("benchmark", {}, "scans")), "is a directory, not an HDF5 file");
}

TEST_F(RunErrors, UnreadableInput) {
  fs::permissions(dir / "scan.h5", fs::perms::owner_read | fs::perms::owner_write);
  expect_rejected(h5io_unprivileged(job("benchmark")), "input file '" + (dir / "scan.h5").string() +
                                                           "' cannot be read: Permission denied");
}

TEST_F(RunErrors, NotAnHdf5File) {
  std::ofstream(dir / "notes.h5") << "frame,row,value\n1,2,3\n";
  expect_rejected(h5io(job("benchmark", {}, "notes.h5")),
                  "input file '" + (dir / "notes.h5").string() +
                      "' is not an HDF5 file (no HDF5 signature found)");
}

TEST_F(RunErrors, EmptyFile) {
  std::ofstream(dir / "empty.h5").close();
  expect_rejected(h5io(job("benchmark", {}, "empty.h5")), "is empty, not an HDF5 file");
}

TEST_F(RunErrors, TruncatedHdf5File) {
  fs::resize_file(dir / "scan.h5", fs::file_size(dir / "scan.h5") / 2);
  expect_rejected(h5io(job("benchmark")),
                  "input file '" + (dir / "scan.h5").string() + "' is truncated or incomplete");
}

TEST_F(RunErrors, MissingDataset) {
  expect_rejected(h5io(job("benchmark", {"--param", "dataset=/entry/data/frames"})),
                  "dataset '/entry/data/frames' not found in '" + (dir / "scan.h5").string() +
                      "': '/entry/data/frames' does not exist; '/entry/data' holds: data");
}

TEST_F(RunErrors, UnsupportedDtype) {
  {
    auto file = test::create_file(dir / "table.h5");
    hdf5::Datatype compound(H5Tcreate(H5T_COMPOUND, 8));
    H5Tinsert(compound.get(), "x", 0, H5T_NATIVE_DOUBLE);
    test::write_dataset(file.get(), "/table", compound.get(), {4}, nullptr);
  }
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/table:0"}, "table.h5")),
                  "'/table' in '" + (dir / "table.h5").string() +
                      "' holds compound values, which h5io cannot deliver to a library");
}

TEST_F(RunErrors, UnsupportedRank) {
  {
    auto file = test::create_file(dir / "five.h5");
    const std::vector<float> values(32, 1.0f);
    test::write_dataset(file.get(), "/d", H5T_NATIVE_FLOAT, {2, 2, 2, 2, 2}, values);
  }
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/d:0"}, "five.h5")),
                  "has rank 5; h5io reads datasets of rank 1 to 4");
}

TEST_F(RunErrors, SlicingMapsDisagree) {
  {
    auto file = test::create_file(dir / "two.h5");
    test::write_dataset(file.get(), "/a", H5T_NATIVE_INT32, {10, 3},
                        test::iota_values<int32_t>(30));
    test::write_dataset(file.get(), "/b", H5T_NATIVE_INT32, {3, 12},
                        test::iota_values<int32_t>(36));
  }
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/a:0,/b:1"}, "two.h5")),
                  "the inputs of library 'configurable' disagree on the number of slices: '/a' "
                  "[10, 3] sliced along dimension 0 has 10, but '/b' [3, 12] sliced along "
                  "dimension 1 has 12");
}

TEST_F(RunErrors, NothingSliced) {
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:w"})),
                  "slices none of its inputs");
}

TEST_F(RunErrors, LibraryNotFound) {
  expect_rejected(h5io(job("no_such_library")),
                  "library 'no_such_library' not found: looked for libh5io_no_such_library.so in "
                  "" H5IO_TEST_PLUGIN_DIR);
}

TEST_F(RunErrors, LibraryNameThatIsAPath) {
  expect_rejected(h5io(job("../../lib/evil")), "invalid library name '../../lib/evil'");
}

TEST_F(RunErrors, LibraryNotASharedObject) {
  fs::create_directory(dir / "plugins");
  std::ofstream(dir / "plugins" / "libh5io_broken.so") << "#!/bin/sh\necho not a library\n";
  expect_rejected(h5io(job("broken", {"--plugin-dir", (dir / "plugins").string()})),
                  "library 'broken' (" + (dir / "plugins" / "libh5io_broken.so").string() +
                      ") could not be loaded: ");
}

TEST_F(RunErrors, LibraryMissingSymbol) {
  expect_rejected(h5io(job("no_process")), "does not export 'process'");
}

TEST_F(RunErrors, LibraryWrongAbiVersion) {
  expect_rejected(h5io(job("wrong_abi")), "was built for h5io ABI version 999");
}

TEST_F(RunErrors, LibraryRejectsItsParameters) {
  expect_rejected(h5io(job("benchmark", {"--param", "axes=1"})),
                  "library 'benchmark' failed in h5io_init: unknown parameter 'axes' (known: "
                  "dataset, axis)");
}

TEST_F(RunErrors, LibraryReturnsAnErrorWithItsOwnText) {
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:1", "--param",
                                            "fail_in=process", "--param", "fail_at=20", "--param",
                                            "message=dark current above threshold"})),
                  "h5io: error: library 'configurable' failed in process (slice 20): dark current "
                  "above threshold (code 7)");
}

TEST_F(RunErrors, LibraryErrorOnOneRankStopsAllRanks) {
  const CommandResult result =
      // 32 rows in 2 units over 3 ranks: rank 0 idles, rank 1 has rows 0-15, rank 2 16-31.
      mpirun(3, job("configurable",
                    {"--param", "inputs=/entry/data/data:1", "--param", "fail_in=process",
                     "--param", "fail_at=15", "--param", "fail_rank=1", "--param",
                     "message=rank one gave up", "--unit-slices", "16"}));
  expect_rejected(result, "failed in process (slice 15): rank one gave up");
}

TEST_F(RunErrors, OutputShapeWithoutGrowingDimension) {
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:1", "--param",
                                            "output_shape=4,4"})),
                  "output 0 '/result/out0': shape [4, 4] has no -1 marking the dimension that "
                  "grows with the slices");
}

TEST_F(RunErrors, OutputsCollide) {
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:1", "--param",
                                            "outputs=2", "--param", "same_output_location=true"})),
                  "collides with output '/result/out'");
}

TEST_F(RunErrors, OutputInTheProvenanceProcess) {
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:1", "--param",
                                            "output_group=/entry/process"})),
                  "output 0 '/entry/process/out0': '/entry/process' is written by h5io (the "
                  "NeXus entry's provenance, an NXprocess); choose another location");
}

TEST_F(RunErrors, OutputAtTheNexusEntry) {
  expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:1", "--param",
                                            "output_group=/entry/title"})),
                  "'/entry/title' is written by h5io (the NeXus entry's title)");
}

// The NeXus hints of describe_output (h5io_plugin.h): misspelt keys, axes
// of dimensions the output lacks and two defaults are refused before
// anything is computed.
TEST_F(RunErrors, NexusHintsAreChecked) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"describe=nexus_unknown", "library 'configurable', output 0 '/result/out0', "
                                 "describe_output: unknown key 'nexus:axes' (h5io knows "
                                 "nexus:axis<D>:name,"},
      {"describe=nexus_dimension", "'nexus:axis3:name' names dimension 3, but the output has 1 "
                                   "(0 to 0)"},
      {"describe=nexus_defaults", "outputs '/result/out0' and '/result/out1' are both marked "
                                  "nexus:default"}};
  for (const auto& [param, message] : cases)
    expect_rejected(h5io(job("configurable", {"--param", "inputs=/entry/data/data:1", "--param",
                                              "outputs=2", "--param", param})),
                    message);
}

TEST_F(RunErrors, OutputDirectoryMissing) {
  expect_rejected(h5io(job("benchmark", {}, "scan.h5", "results/out.h5")),
                  "output directory '" + (dir / "results").string() + "' does not exist",
                  "results/out.h5");
}

TEST_F(RunErrors, OutputDirectoryNotWritable) {
  fs::create_directory(dir / "locked");
  fs::permissions(dir / "locked", fs::perms::owner_all);
  expect_rejected(h5io_unprivileged(job("benchmark", {}, "scan.h5", "locked/out.h5")),
                  "output directory '" + (dir / "locked").string() + "' is not writable",
                  "locked/out.h5");
}

TEST_F(RunErrors, OutputExistsWithoutOverwrite) {
  std::ofstream(dir / "out.h5") << "yesterday's reconstruction";
  const CommandResult result = h5io(job("benchmark"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("output '" + (dir / "out.h5").string() +
                            "' already exists; pass --overwrite to replace it"),
            std::string::npos)
      << result.err;
  std::ifstream kept(dir / "out.h5");
  std::string text;
  std::getline(kept, text);
  EXPECT_EQ(text, "yesterday's reconstruction");
  EXPECT_FALSE(fs::exists(dir / "out.h5.partial"));

  EXPECT_EQ(h5io(job("benchmark", {"--overwrite"})).exit_code, 0);
  EXPECT_GT(fs::file_size(dir / "out.h5"), 1000u) << "--overwrite replaced it";
}

TEST_F(RunErrors, BadParamSyntax) {
  expect_rejected(h5io(job("benchmark", {"--param", "axis"})),
                  "bad parameter 'axis': expected KEY=VALUE");
}

TEST_F(RunErrors, UnitSizeNotAMultipleOfTheChunk) {
  expect_rejected(h5io(job("benchmark", {"--unit-slices", "5"})),
                  "a unit of 5 slices is not a multiple of the input's chunk extent 16");
}

TEST_F(RunErrors, MissingRequiredOption) {
  const CommandResult result =
      test::run_command({H5IO_BIN, "run", "--plugin", "benchmark", "--input", "x.h5"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--output is required"), std::string::npos) << result.err;
}

// A newer Diamond file with no NXtomo entry (h5io phantom --layout nxdata):
// refused on every rank with the parameters that describe it.
TEST_F(RunErrors, AFileThatIsNotNXtomoIsRefusedWithTheParametersToPass) {
  ASSERT_EQ(test::run_command({H5IO_BIN, "phantom", "--layout", "nxdata", "--output",
                               (dir / "nxdata.nxs").string(), "--size", "16", "--rows", "2",
                               "--angles", "8"})
                .exit_code,
            0);
  const std::vector<std::string> roles = {"--param",
                                          "inputs=scan:projections:1,scan:darks:1,scan:flats:1"};
  expect_rejected(
      mpirun(2, job("configurable", roles, "nxdata.nxs")),
      "it has no NXtomo entry (a group with NX_class NXentry or NXsubentry holding "
      "definition='NXtomo') and no DXchange /exchange/data; it looks like a scan: try --param "
      "scan.data=/entry/pco1/data --param scan.image_key=/entry/instrument/pco1/image_key "
      "--param scan.angles=/entry/smaract_zrot/smaract_zrot_value --param "
      "scan.angle_units=degree (h5io inspect " +
          (dir / "nxdata.nxs").string() + " shows why; the angles have no units attribute");

  // What it proposes works, and darks from a file that is not there are named.
  std::vector<std::string> proposed = roles;
  for (const char* param :
       {"scan.data=/entry/pco1/data", "scan.image_key=/entry/instrument/pco1/image_key",
        "scan.angles=/entry/smaract_zrot/smaract_zrot_value", "scan.angle_units=degree"})
    proposed.insert(proposed.end(), {"--param", param});
  const CommandResult ran = mpirun(2, job("configurable", proposed, "nxdata.nxs"));
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  fs::remove(dir / "out.h5");
  proposed.insert(proposed.end(), {"--param", "scan.darks=dark_field.h5:/entry/data/data"});
  expect_rejected(mpirun(2, job("configurable", proposed, "nxdata.nxs")),
                  "scan.darks file '" + (dir / "dark_field.h5").string() + "' does not exist");
}
