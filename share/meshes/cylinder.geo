// Flow past a cylinder in a channel, the geometry of the Schaefer-Turek 2D-2 benchmark
// (Re = 100): channel [0, 2.2] x [0, 0.41], cylinder of diameter 0.1 centred at (0.2, 0.2).
// Quadrilaterals only (for the Q2-Q1 solver of examples/flow). Physical curves, the values of
// PETSc's "Face Sets" label: 1 inlet (x = 0), 2 outlet (x = 2.2), 3 walls (y = 0, 0.41),
// 4 cylinder.
// Regenerate: gmsh -2 -format msh22 cylinder.geo -o cylinder.msh
H = 0.41; L = 2.2; xc = 0.2; yc = 0.2; r = 0.05;
// mesh sizes: 835 quadrilaterals; cylinder-coarse.msh (327 quadrilaterals, the cylinder case of
// make run CASE=cylinder and of tests/test_cylinder.sh) is
//   gmsh -2 -format msh22 -setnumber lcFar 0.1 -setnumber lcWake 0.05 -setnumber lcCyl 0.02 cylinder.geo -o cylinder-coarse.msh
If (!Exists(lcFar)) lcFar = 0.06; EndIf
If (!Exists(lcWake)) lcWake = 0.03; EndIf
If (!Exists(lcCyl)) lcCyl = 0.012; EndIf
Point(1) = {0, 0, 0, lcFar}; Point(2) = {L, 0, 0, lcFar}; Point(3) = {L, H, 0, lcFar}; Point(4) = {0, H, 0, lcFar};
Line(1) = {1, 2}; Line(2) = {2, 3}; Line(3) = {3, 4}; Line(4) = {4, 1};
Point(5) = {xc, yc, 0, lcCyl};
Point(6) = {xc + r, yc, 0, lcCyl}; Point(7) = {xc, yc + r, 0, lcCyl}; Point(8) = {xc - r, yc, 0, lcCyl}; Point(9) = {xc, yc - r, 0, lcCyl};
Circle(5) = {6, 5, 7}; Circle(6) = {7, 5, 8}; Circle(7) = {8, 5, 9}; Circle(8) = {9, 5, 6};
Curve Loop(1) = {1, 2, 3, 4}; Curve Loop(2) = {5, 6, 7, 8};
Plane Surface(1) = {1, 2};
// sizes: fine on the cylinder, finer in the wake
Field[1] = Distance; Field[1].EdgesList = {5, 6, 7, 8}; Field[1].NumPointsPerCurve = 200;
Field[2] = Threshold; Field[2].IField = 1; Field[2].LcMin = lcCyl; Field[2].LcMax = lcFar; Field[2].DistMin = 0.01; Field[2].DistMax = 0.25;
Field[3] = Box; Field[3].VIn = lcWake; Field[3].VOut = lcFar; Field[3].XMin = 0.1; Field[3].XMax = 1.4; Field[3].YMin = 0.06; Field[3].YMax = 0.35;
Field[4] = Min; Field[4].FieldsList = {2, 3};
Background Field = 4;
Mesh.CharacteristicLengthExtendFromBoundary = 0;
Mesh.CharacteristicLengthFromPoints = 0;
Mesh.Algorithm = 6; // Frontal-Delaunay, then recombined (8, Frontal-Delaunay for quads, crashes Gmsh 4.8.4 here)
Mesh.RecombinationAlgorithm = 1;
Recombine Surface {1};
Physical Curve(1) = {4};
Physical Curve(2) = {2};
Physical Curve(3) = {1, 3};
Physical Curve(4) = {5, 6, 7, 8};
Physical Surface(5) = {1};
