#include "gnntest.hpp"
TEST(NekRS, Placeholder) { EXPECT_TRUE(true); }
int main(int argc, char **argv) { return GNNTestMain(argc, argv, "NekRS graphs\n"); }
