// The plugin host against real shared objects: the shipped benchmark library
// and the test libraries built beside this test.
#include "common/plugin_host/job_params.hpp"
#include "common/plugin_host/plugin_host.hpp"
#include "common/util/error.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace h5io;
namespace fs = std::filesystem;

namespace {

const std::vector<fs::path> kDirs = {H5IO_TEST_PLUGIN_DIR, H5IO_PLUGIN_DIR};

std::string load_error(const std::string& name, const std::vector<fs::path>& dirs = kDirs) {
  try {
    PluginLibrary::load(name, dirs);
  } catch (const Error& e) {
    return e.what();
  }
  return "loaded";
}

h5io_global_params_t globals(const std::vector<h5io_param_t>& params) {
  h5io_global_params_t g{};
  g.abi_version = H5IO_ABI_VERSION;
  g.num_ranks = 1;
  g.local_ranks = 1;
  g.input_file = "";
  g.job_id = "";
  g.num_params = static_cast<int32_t>(params.size());
  g.params = params.data();
  return g;
}

} // namespace

TEST(PluginHost, LoadsByNameAndReportsVersion) {
  const PluginLibrary library = PluginLibrary::load("benchmark", kDirs);
  EXPECT_EQ(library.version(), "1.0.0");
  EXPECT_EQ(library.path().filename(), "libh5io_benchmark.so");
  EXPECT_NE(library.api().process_batch, nullptr);
}

TEST(PluginHost, ExtraDirectoriesComeFirstAndTheBuiltInDirectoryLast) {
  const auto dirs = plugin_search_path({"/first"});
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs.front(), "/first");
  EXPECT_EQ(dirs.back().filename(), "plugins");
}

TEST(PluginHost, RefusesNamesThatAreNotPlainNames) {
  const std::vector<std::string> names = {
      "../benchmark", "/usr/lib/libc.so.6", "Benchmark",         "",
      "a b",          "bench-mark",         std::string(65, 'a')};
  for (const std::string& name : names)
    EXPECT_NE(load_error(name).find("invalid library name"), std::string::npos) << name;
}

TEST(PluginHost, NotFoundListsWhereItLooked) {
  EXPECT_EQ(load_error("no_such_library", {"/nowhere/a", "/nowhere/b"}),
            "library 'no_such_library' not found: looked for libh5io_no_such_library.so in "
            "/nowhere/a, /nowhere/b");
}

TEST(PluginHost, NotASharedObject) {
  test::ScratchDir dir;
  std::ofstream garbage(dir / "libh5io_garbage.so");
  for (int line = 0; line < 20; ++line) garbage << "this is a text file, not an ELF library\n";
  garbage.close();
  const std::string message = load_error("garbage", {dir.path()});
  EXPECT_NE(message.find("library 'garbage'"), std::string::npos) << message;
  EXPECT_NE(message.find("could not be loaded"), std::string::npos) << message;
  EXPECT_NE(message.find("could not be loaded: invalid ELF header"), std::string::npos)
      << "the loader's reason, without repeating the path: " << message;
}

TEST(PluginHost, MissingRequiredSymbol) {
  EXPECT_NE(load_error("no_process").find("does not export 'process'"), std::string::npos);
}

TEST(PluginHost, WrongAbiVersion) {
  const std::string message = load_error("wrong_abi");
  EXPECT_NE(message.find("was built for h5io ABI version 999, but this h5io speaks version 1"),
            std::string::npos)
      << message;
}

TEST(PluginHost, InitErrorCarriesTheLibrarysOwnText) {
  const PluginLibrary library = PluginLibrary::load("configurable", kDirs);
  const JobParams params = JobParams::parse({"fail_in=h5io_init", "message=detector offline"});
  const auto view = params.view();
  try {
    PluginInstance instance(library, globals(view));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "library 'configurable' failed in h5io_init: detector offline (code 7)");
  }
}

TEST(PluginHost, UnknownParameterIsRejectedByTheBenchmarkLibrary) {
  const PluginLibrary library = PluginLibrary::load("benchmark", kDirs);
  const JobParams params = JobParams::parse({"datset=/x"});
  const auto view = params.view();
  try {
    PluginInstance instance(library, globals(view));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "library 'benchmark' failed in h5io_init: unknown parameter 'datset' "
                           "(known: dataset, axis) (code 1)");
  }
}

TEST(PluginHost, CallsReachTheLibraryAndBack) {
  const PluginLibrary library = PluginLibrary::load("configurable", kDirs);
  const JobParams params = JobParams::parse({"inputs=/a:1,/b:w", "output_shape=3,-1"});
  const auto view = params.view();
  PluginInstance instance(library, globals(view));
  EXPECT_EQ(instance.num_inputs(), 2);
  EXPECT_EQ(instance.request_input(0), "/a");
  h5io_dataspace_t space{};
  space.rank = 3;
  space.dtype = H5IO_UINT16;
  EXPECT_EQ(instance.set_input_slice(0, space), (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(instance.set_input_slice(1, space), (std::vector<int>{0, 0, 0}));
  const OutputRequest out = instance.request_output(0);
  EXPECT_EQ(out.location, "/result/out0");
  EXPECT_EQ(out.space.rank, 2);
  EXPECT_EQ(out.space.shape[1], -1);
  instance.complete();
}

TEST(PluginHost, ProcessingCompleteFailureIsReported) {
  const PluginLibrary library = PluginLibrary::load("configurable", kDirs);
  const JobParams params = JobParams::parse({"fail_in=processing_complete"});
  const auto view = params.view();
  PluginInstance instance(library, globals(view));
  try {
    instance.complete();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed in processing_complete: configured failure in "
                                         "processing_complete"),
              std::string::npos)
        << e.what();
  }
}

TEST(PluginHost, OutputAttributesArriveTypedAndMalformedOnesAreRefused) {
  const PluginLibrary library = PluginLibrary::load("configurable", kDirs);
  const auto describe = [&](const std::string& mode) {
    const JobParams params = JobParams::parse({"describe=" + mode});
    const auto view = params.view();
    PluginInstance instance(library, globals(view));
    return instance.describe_output(0);
  };
  const std::vector<AttributeValue> attributes = describe("ok");
  ASSERT_EQ(attributes.size(), 3u);
  EXPECT_EQ(attributes[0].name, "units");
  EXPECT_EQ(std::get<std::string>(attributes[0].value), "counts");
  EXPECT_EQ(std::get<double>(attributes[1].value), 2.5);
  EXPECT_EQ(std::get<int64_t>(attributes[2].value), 7);
  for (const auto& [mode, expected] :
       {std::pair<std::string, std::string>{"many", "300 attributes"}, {"repeat", "repeated"}}) {
    try {
      describe(mode);
      FAIL() << mode << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  // The benchmark library has no describe_output: no attributes, no error.
  const PluginLibrary benchmark = PluginLibrary::load("benchmark", kDirs);
  const std::vector<h5io_param_t> none;
  PluginInstance plain(benchmark, globals(none));
  EXPECT_TRUE(plain.describe_output(0).empty());
}
