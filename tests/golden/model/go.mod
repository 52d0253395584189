module ksmmodel

go 1.19
