// Small 2-D channel [0,2]x[0,1] with a circular hole: a triangle mesh for the tests.
// Regenerate: gmsh -2 -format msh22 channel-hole.geo -o channel-hole.msh
lc = 0.12;
Point(1) = {0, 0, 0, lc}; Point(2) = {2, 0, 0, lc}; Point(3) = {2, 1, 0, lc}; Point(4) = {0, 1, 0, lc};
Line(1) = {1, 2}; Line(2) = {2, 3}; Line(3) = {3, 4}; Line(4) = {4, 1};
Point(5) = {0.5, 0.5, 0, lc/2}; Point(6) = {0.65, 0.5, 0, lc/2}; Point(7) = {0.35, 0.5, 0, lc/2};
Circle(5) = {6, 5, 7}; Circle(6) = {7, 5, 6};
Curve Loop(1) = {1, 2, 3, 4}; Curve Loop(2) = {5, 6};
Plane Surface(1) = {1, 2};
Physical Curve("walls") = {1, 3};
Physical Curve("inlet") = {4};
Physical Curve("outlet") = {2};
Physical Curve("hole") = {5, 6};
Physical Surface("fluid") = {1};
