//! mrap-provisioner
